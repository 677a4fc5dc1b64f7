/**
 * The WriteTx handed to a `write()` callback: the reads and writes of the port on the
 * writer connection, inside the BEGIN IMMEDIATE transaction the store opened. It is
 * usable only until that transaction ends; a leaked tx throws instead of writing
 * outside any transaction.
 */
import type { NotificationClaim, OutboxEntry, WriteTx } from '@clinic/core';
import type {
  Appointment,
  ConflictRecord,
  Facility,
  Notification,
  Patient,
  User,
} from '@clinic/domain';
import * as appointments from './appointment-queries';
import * as conflicts from './conflict-queries';
import * as facilities from './facility-queries';
import * as notifications from './notification-queries';
import * as outbox from './outbox-queries';
import * as patients from './patient-queries';
import { SqliteReads } from './reads';
import * as users from './user-queries';

export class SqliteWriteTx extends SqliteReads implements WriteTx {
  #active = true;

  /** Called by the store when the transaction commits or rolls back. */
  end(): void {
    this.#active = false;
  }

  protected override checkUsable(): void {
    if (!this.#active) {
      throw new Error('This transaction has ended: use a tx only inside its write() callback.');
    }
  }

  /**
   * A no-op apart from the liveness check: the store runs one transaction at a time
   * (an in-process mutex plus BEGIN IMMEDIATE across processes), so every transaction
   * already holds every key.
   */
  async lock(_keys: readonly string[]): Promise<void> {
    this.checkUsable();
  }

  async insertFacility(row: Facility): Promise<void> {
    this.checkUsable();
    facilities.insertFacility(this.sql, row);
  }

  async updateFacility(row: Facility): Promise<void> {
    this.checkUsable();
    facilities.updateFacility(this.sql, row);
  }

  async insertUser(row: User): Promise<void> {
    this.checkUsable();
    users.insertUser(this.sql, row);
  }

  async updateUser(row: User): Promise<void> {
    this.checkUsable();
    users.updateUser(this.sql, row);
  }

  async insertPatient(row: Patient): Promise<void> {
    this.checkUsable();
    patients.insertPatient(this.sql, row);
  }

  async updatePatient(row: Patient): Promise<void> {
    this.checkUsable();
    patients.updatePatient(this.sql, row);
  }

  async insertAppointment(row: Appointment): Promise<void> {
    this.checkUsable();
    appointments.insertAppointment(this.sql, row);
  }

  async updateAppointment(row: Appointment): Promise<void> {
    this.checkUsable();
    appointments.updateAppointment(this.sql, row);
  }

  async enqueueNotifications(rows: readonly Notification[]): Promise<Notification[]> {
    this.checkUsable();
    return notifications.enqueueNotifications(this.sql, rows);
  }

  async updateNotification(row: Notification): Promise<void> {
    this.checkUsable();
    notifications.updateNotification(this.sql, row);
  }
  async recordDeliveries(rows: readonly Notification[]): Promise<void> {
    this.checkUsable();
    for (const row of rows) notifications.updateNotification(this.sql, row);
  }

  async claimNotifications(claim: NotificationClaim): Promise<Notification[]> {
    this.checkUsable();
    return notifications.claimNotifications(this.sql, claim);
  }

  async releaseNotificationClaims(owner: string, now: number): Promise<number> {
    this.checkUsable();
    return notifications.releaseNotificationClaims(this.sql, owner, now);
  }

  async pendingReminders(appointmentId: string): Promise<Notification[]> {
    this.checkUsable();
    return notifications.pendingReminders(this.sql, appointmentId);
  }

  /** Dedupes by id: a node's conflicts are copies of central's (see conflict-queries.ts). */
  async upsertConflict(row: ConflictRecord, _dedupeKey: string): Promise<ConflictRecord> {
    this.checkUsable();
    return conflicts.upsertConflict(this.sql, row);
  }

  async updateConflict(row: ConflictRecord): Promise<void> {
    this.checkUsable();
    conflicts.updateConflict(this.sql, row);
  }

  async appendOutbox(entry: OutboxEntry): Promise<number> {
    this.checkUsable();
    return outbox.appendOutbox(this.sql, entry);
  }
}
