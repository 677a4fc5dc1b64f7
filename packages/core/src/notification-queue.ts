/**
 * Builds the notification rows an appointment event queues: one per recipient
 * (patient, provider) and channel (email, sms) that has an address. Rows are written
 * in the same transaction as the change; delivery happens elsewhere.
 */
import type {
  Appointment,
  IdGenerator,
  Notification,
  NotificationChannel,
  NotificationEvent,
  NotificationRecipient,
  Patient,
  User,
} from '@clinic/domain';

interface Contact {
  email: string;
  phone_number: string;
}

/**
 * The exactly-once key: one delivery per (appointment, event occurrence, recipient,
 * channel). The appointment's version identifies the occurrence of `updated` events.
 */
export function notificationKey(
  appointment: Pick<Appointment, 'id' | 'version'>,
  event: NotificationEvent,
  recipient: NotificationRecipient,
  channel: NotificationChannel,
): string {
  return `${appointment.id}:${event}:v${appointment.version}:${recipient}:${channel}`;
}

export function buildNotifications(
  ids: IdGenerator,
  now: number,
  appointment: Pick<Appointment, 'id' | 'version'>,
  event: NotificationEvent,
  people: { patient: Contact | Patient; provider: Contact | User },
): Notification[] {
  const rows: Notification[] = [];
  for (const recipient of ['patient', 'provider'] as const) {
    const contact = people[recipient];
    const addresses: [NotificationChannel, string][] = [
      ['email', contact.email],
      ['sms', contact.phone_number],
    ];
    for (const [channel, address] of addresses) {
      if (address.trim() === '') continue;
      rows.push({
        id: ids.next(),
        appointment_id: appointment.id,
        event,
        recipient,
        channel,
        address,
        dedupe_key: notificationKey(appointment, event, recipient, channel),
        status: 'pending',
        attempts: 0,
        created_at: now,
        sent_at: null,
      });
    }
  }
  return rows;
}
