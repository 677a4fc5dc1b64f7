/**
 * The read half of the port (StoreReads) over one connection's statements. The store
 * uses it on its reader connection; a write transaction on the writer connection, so
 * that a transaction reads its own writes.
 *
 * better-sqlite3 is synchronous: each method runs its SQL at once and returns a settled
 * promise. Errors become rejections because the methods are async.
 */
import type {
  AppointmentQuery,
  ConflictQuery,
  EntitySyncState,
  NotificationQuery,
  OverlapQuery,
  OverlapRow,
  Page,
  PageRequest,
  PatientQuery,
  StoreReads,
  UserQuery,
} from '@clinic/core';
import type {
  AppointmentView,
  ConflictRecord,
  ConflictStatus,
  Facility,
  Notification,
  NotificationChannel,
  Patient,
  User,
} from '@clinic/domain';
import * as appointments from './appointment-queries';
import * as conflicts from './conflict-queries';
import * as facilities from './facility-queries';
import * as notifications from './notification-queries';
import * as outbox from './outbox-queries';
import { findActiveOverlapping } from './overlap-query';
import * as patients from './patient-queries';
import type { StatementCache } from './statement-cache';
import * as users from './user-queries';

export class SqliteReads implements StoreReads {
  protected readonly sql: StatementCache;

  constructor(sql: StatementCache) {
    this.sql = sql;
  }

  /** Throws when these reads may no longer be used. Overridden by the store and the tx. */
  protected checkUsable(): void {}

  async getFacility(id: string): Promise<Facility | undefined> {
    this.checkUsable();
    return facilities.getFacility(this.sql, id);
  }

  async listFacilities(page: PageRequest): Promise<Page<Facility>> {
    this.checkUsable();
    return facilities.listFacilities(this.sql, page);
  }

  async getUser(id: string): Promise<User | undefined> {
    this.checkUsable();
    return users.getUser(this.sql, id);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    this.checkUsable();
    return users.getUserByUsername(this.sql, username);
  }

  async listUsers(query: UserQuery): Promise<Page<User>> {
    this.checkUsable();
    return users.listUsers(this.sql, query);
  }

  async getBookingReferences(refs: { patient: string; provider: string; facility: string }) {
    this.checkUsable();
    const patient = patients.getPatient(this.sql, refs.patient);
    const provider = users.getUser(this.sql, refs.provider);
    const facility = facilities.getFacility(this.sql, refs.facility);
    return {
      ...(patient && { patient }),
      ...(provider && { provider }),
      ...(facility && { facility }),
    };
  }

  async getPatient(id: string): Promise<Patient | undefined> {
    this.checkUsable();
    return patients.getPatient(this.sql, id);
  }

  async listPatients(query: PatientQuery): Promise<Page<Patient>> {
    this.checkUsable();
    return patients.listPatients(this.sql, query);
  }

  async getAppointment(
    id: string,
    options?: { includeDeleted?: boolean },
  ): Promise<AppointmentView | undefined> {
    this.checkUsable();
    return appointments.getAppointment(this.sql, id, options);
  }

  async listAppointments(query: AppointmentQuery): Promise<Page<AppointmentView>> {
    this.checkUsable();
    return appointments.listAppointments(this.sql, query);
  }

  async findActiveOverlapping(query: OverlapQuery): Promise<OverlapRow[]> {
    this.checkUsable();
    return findActiveOverlapping(this.sql, query);
  }

  async listSentNotifications(appointmentId: string): Promise<Notification[]> {
    this.checkUsable();
    return notifications.listSentNotifications(this.sql, appointmentId);
  }

  async getNotification(id: string): Promise<Notification | undefined> {
    this.checkUsable();
    return notifications.getNotification(this.sql, id);
  }

  async listNotifications(query: NotificationQuery): Promise<Page<Notification>> {
    this.checkUsable();
    return notifications.listNotifications(this.sql, query);
  }

  async nextNotificationDue(
    owner: string,
    channels: readonly NotificationChannel[],
  ): Promise<number | undefined> {
    this.checkUsable();
    return notifications.nextNotificationDue(this.sql, owner, channels);
  }

  async syncStateOf(entityId: string): Promise<EntitySyncState | undefined> {
    this.checkUsable();
    return outbox.syncStateOf(this.sql, entityId);
  }

  async getConflict(id: string): Promise<ConflictRecord | undefined> {
    this.checkUsable();
    return conflicts.getConflict(this.sql, id);
  }

  async listConflicts(query: ConflictQuery): Promise<Page<ConflictRecord>> {
    this.checkUsable();
    return conflicts.listConflicts(this.sql, query);
  }

  async conflictsOfAppointment(
    appointmentId: string,
    status?: ConflictStatus,
  ): Promise<ConflictRecord[]> {
    this.checkUsable();
    return conflicts.conflictsOfAppointment(this.sql, appointmentId, status);
  }
}
