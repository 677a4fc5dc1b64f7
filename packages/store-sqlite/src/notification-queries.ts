/** SQL for the notification queue: enqueue (exactly once per dedupe_key) and list sent. */
import type { Notification } from '@clinic/domain';
import { notificationToParams } from './row-mapping';
import type { StatementCache } from './statement-cache';

const COLUMNS =
  'id, appointment_id, event, recipient, channel, address, dedupe_key, status, attempts, ' +
  'created_at, sent_at';

// Only a dedupe_key collision is skipped; any other constraint failure still throws.
const INSERT = `
  INSERT INTO notifications (${COLUMNS})
  VALUES (@id, @appointment_id, @event, @recipient, @channel, @address, @dedupe_key, @status,
          @attempts, @created_at, @sent_at)
  ON CONFLICT (dedupe_key) DO NOTHING`;

const LIST_SENT = `
  SELECT ${COLUMNS}
    FROM notifications
   WHERE appointment_id = @appointment_id AND status = 'sent'
   ORDER BY created_at, id`;

export function enqueueNotifications(sql: StatementCache, rows: readonly Notification[]): void {
  sql.atomically(() => {
    for (const row of rows) sql.run(INSERT, notificationToParams(row));
  });
}

/** The appointment's delivered notifications, oldest (created_at, then id) first. */
export function listSentNotifications(sql: StatementCache, appointmentId: string): Notification[] {
  return sql.all<Notification>(LIST_SENT, { appointment_id: appointmentId });
}
