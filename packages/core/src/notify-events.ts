/**
 * Which notifications each event queues, inside the transaction of the change:
 * created / updated / cancelled to the patient and the provider; reminders before the
 * start (replaced when the slot moves, dropped when the appointment ends); a late
 * conflict to the admins and to the providers of both appointments (central only).
 */
import type { Appointment, ConflictRecord, Notification, NotificationEvent } from '@clinic/domain';
import type { CoreDeps } from './context';
import {
  CENTRAL_NOTIFY,
  buildNotifications,
  lastWriteStamp,
  reminderDue,
  type Addressee,
} from './notification-queue';
import type { WriteTx } from './store';

interface Contact {
  id: string;
  email: string;
  phone_number: string;
}

/** The patient and provider of an appointment, when the caller has them already. */
export interface People {
  patient: Contact;
  provider: Contact;
}

const ADMIN_PAGE = 100;

export function createNotificationEvents(deps: CoreDeps) {
  const { clock, ids, hooks } = deps;
  const settings = deps.notify ?? CENTRAL_NOTIFY;

  async function addressees(tx: WriteTx, row: Appointment, people?: People): Promise<Addressee[]> {
    const patient = people?.patient ?? (await tx.getPatient(row.patient));
    const provider = people?.provider ?? (await tx.getUser(row.provider));
    const to: Addressee[] = [];
    if (patient) to.push({ recipient: 'patient', ...pick(patient) });
    if (provider) to.push({ recipient: 'provider', ...pick(provider) });
    return to;
  }

  /** Drops this node's pending reminders of the appointment; returns them as dropped. */
  async function dropReminders(tx: WriteTx, appointmentId: string): Promise<Notification[]> {
    const now = clock.now();
    const dropped: Notification[] = [];
    for (const n of await tx.pendingReminders(appointmentId)) {
      // Another owner's copy is dropped where it is delivered (the dispatcher re-checks).
      if (n.owner !== settings.self) continue;
      const next: Notification = { ...n, status: 'dropped', updated_at: now };
      await tx.updateNotification(next);
      dropped.push(next);
    }
    return dropped;
  }

  /** The reminders of `row` for its current start, when it is scheduled and far enough out. */
  async function reminders(tx: WriteTx, row: Appointment, people?: People) {
    if (row.status !== 'scheduled' || row.deleted_at !== null) return [];
    const now = clock.now();
    const due = reminderDue(row.start_time, now, settings);
    if (due === undefined) return [];
    return buildNotifications({
      ids,
      now,
      appointmentId: row.id,
      event: 'reminder',
      occurrence: lastWriteStamp(row),
      to: await addressees(tx, row, people),
      settings,
      dueAt: due,
      reminderFor: row.start_time,
    });
  }

  return {
    /**
     * What one write of an appointment queues, written at once (one outbox mutation on a
     * clinic node): the event's notices to the patient and the provider (created, updated,
     * cancelled), and its reminders: `replace` drops this node's pending ones and queues
     * new ones for the current start (none when it is no longer scheduled), `keep` leaves
     * them.
     */
    async appointmentWritten(
      tx: WriteTx,
      row: Appointment,
      change: {
        event?: Exclude<NotificationEvent, 'reminder' | 'conflict'> | undefined;
        reminders: 'replace' | 'keep';
        /** A new appointment has no reminders to drop yet. */
        isNew?: boolean;
      },
      people?: People,
    ): Promise<void> {
      const rows: Notification[] = [];
      if (change.event) {
        rows.push(
          ...buildNotifications({
            ids,
            now: clock.now(),
            appointmentId: row.id,
            event: change.event,
            occurrence: lastWriteStamp(row),
            to: await addressees(tx, row, people),
            settings,
          }),
        );
      }
      const dropped: Notification[] = [];
      if (change.reminders === 'replace') {
        if (!change.isNew) dropped.push(...(await dropReminders(tx, row.id)));
        rows.push(...(await reminders(tx, row, people)));
      }
      const inserted = rows.length > 0 ? await tx.enqueueNotifications(rows) : [];
      const written = [...dropped, ...inserted];
      if (written.length > 0) await hooks?.notificationsWritten?.(tx, written);
    },

    /**
     * A late conflict was opened (or re-opened): the admins and the providers of both
     * appointments hear of it, once per opening.
     */
    async conflictOpened(
      tx: WriteTx,
      record: ConflictRecord,
      a: Appointment,
      b: Appointment | undefined,
    ): Promise<void> {
      const to = new Map<string, Addressee>();
      for (let offset = 0; ; offset += ADMIN_PAGE) {
        const admins = await tx.listUsers({ role: 'admin', limit: ADMIN_PAGE, offset });
        for (const u of admins.rows) {
          if (u.is_active) to.set(u.id, { recipient: 'admin', ...pick(u) });
        }
        if (admins.rows.length < ADMIN_PAGE) break;
      }
      for (const appt of [a, b]) {
        if (!appt || to.has(appt.provider)) continue;
        const provider = await tx.getUser(appt.provider);
        if (provider) to.set(provider.id, { recipient: 'provider', ...pick(provider) });
      }
      const rows = buildNotifications({
        ids,
        now: clock.now(),
        appointmentId: a.id,
        event: 'conflict',
        occurrence: `${record.id}.${record.version}`,
        to: [...to.values()],
        settings,
        conflictId: record.id,
      });
      if (rows.length === 0) return;
      const inserted = await tx.enqueueNotifications(rows);
      if (inserted.length > 0) await hooks?.notificationsWritten?.(tx, inserted);
    },
  };
}

function pick(c: Contact): Contact {
  return { id: c.id, email: c.email, phone_number: c.phone_number };
}

export type NotificationEvents = ReturnType<typeof createNotificationEvents>;
