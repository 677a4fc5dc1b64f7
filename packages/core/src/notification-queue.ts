/**
 * Builds the notification rows an event queues: one per addressee and channel that has an
 * address. Rows are written in the same transaction as the change; a dispatcher delivers
 * them later (packages/notify).
 */
import {
  CENTRAL_OWNER,
  maxHlc,
  parseClocks,
  type Appointment,
  type IdGenerator,
  type Notification,
  type NotificationChannel,
  type NotificationEvent,
  type NotificationRecipient,
} from '@clinic/domain';

/** Someone a notification goes to. `id` (user or patient id) makes the key per person. */
export interface Addressee {
  recipient: NotificationRecipient;
  id: string;
  email: string;
  phone_number: string;
}

/** Who delivers what this node queues, and when reminders go out. */
export interface NotifySettings {
  /** The owner id this node's dispatcher claims as: its node id, or CENTRAL_OWNER. */
  self: string;
  /** Who delivers a new notification on this channel: `self`, or CENTRAL_OWNER (relay). */
  ownerFor(channel: NotificationChannel): string;
  /** How long before the start a reminder goes out; 0 queues no reminders. */
  reminderLeadMs: number;
}

export const DEFAULT_REMINDER_LEAD_MS = 24 * 60 * 60 * 1000;

export const CENTRAL_NOTIFY: NotifySettings = {
  self: CENTRAL_OWNER,
  ownerFor: () => CENTRAL_OWNER,
  reminderLeadMs: DEFAULT_REMINDER_LEAD_MS,
};

/**
 * The exactly-once key: one delivery per (appointment, event occurrence, addressee,
 * channel). The occurrence is the HLC of the write that caused the event (unique across
 * nodes, the same wherever the row travels), or the conflict's id.
 */
export function notificationKey(
  appointmentId: string,
  event: NotificationEvent,
  occurrence: string,
  to: Pick<Addressee, 'recipient' | 'id'>,
  channel: NotificationChannel,
): string {
  return `${appointmentId}:${event}:${occurrence}:${to.recipient}:${to.id}:${channel}`;
}

/** The HLC of an appointment's latest write (every write stamps the registers it changed). */
export function lastWriteStamp(row: Pick<Appointment, 'clocks' | 'version'>): string {
  const clocks = Object.values(parseClocks(row.clocks));
  return clocks.reduce<string | undefined>((a, b) => maxHlc(a, b), undefined) ?? `v${row.version}`;
}

export interface NotificationBatch {
  ids: IdGenerator;
  now: number;
  appointmentId: string;
  event: NotificationEvent;
  occurrence: string;
  to: readonly Addressee[];
  settings: NotifySettings;
  /** Not before (a reminder's time); default now. */
  dueAt?: number;
  reminderFor?: number;
  conflictId?: string;
}

export function buildNotifications(batch: NotificationBatch): Notification[] {
  const rows: Notification[] = [];
  for (const to of batch.to) {
    const addresses: [NotificationChannel, string][] = [
      ['email', to.email],
      ['sms', to.phone_number],
    ];
    for (const [channel, address] of addresses) {
      if (address.trim() === '') continue;
      rows.push({
        id: batch.ids.next(),
        appointment_id: batch.appointmentId,
        event: batch.event,
        recipient: to.recipient,
        channel,
        address: address.trim(),
        dedupe_key: notificationKey(
          batch.appointmentId,
          batch.event,
          batch.occurrence,
          to,
          channel,
        ),
        status: 'pending',
        attempts: 0,
        created_at: batch.now,
        sent_at: null,
        owner: batch.settings.ownerFor(channel),
        next_attempt_at: batch.dueAt ?? batch.now,
        last_error: null,
        conflict_id: batch.conflictId ?? null,
        reminder_for: batch.reminderFor ?? null,
        updated_at: batch.now,
      });
    }
  }
  return rows;
}

/** When a reminder of an appointment starting at `start` is due, or undefined for none. */
export function reminderDue(start: number, now: number, settings: NotifySettings) {
  if (settings.reminderLeadMs <= 0) return undefined;
  const due = start - settings.reminderLeadMs;
  // A booking made inside the lead time gets no reminder: its confirmation is enough.
  return due > now ? due : undefined;
}
