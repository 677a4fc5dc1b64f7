/** SQL for the notification queue: enqueue (exactly once per dedupe_key) and list sent. */
import type { Notification } from '@clinic/domain';
import { notificationToParams } from './row-mapping';
import type { StatementCache } from './statement-cache';

const COLUMNS =
  'id, appointment_id, event, recipient, channel, address, dedupe_key, status, attempts, ' +
  'created_at, sent_at';

const PARAMS = COLUMNS.split(', ');

/**
 * One INSERT for `n` rows (one statement is atomic by itself: no savepoint needed on the
 * booking path). Only a dedupe_key collision is skipped; any other constraint failure
 * still throws. The texts for each n are prepared once by the statement cache.
 */
function insertSql(n: number): string {
  const tuples = Array.from(
    { length: n },
    (_, i) => `(${PARAMS.map((p) => `@${p}_${i}`).join(', ')})`,
  );
  return `INSERT INTO notifications (${COLUMNS}) VALUES ${tuples.join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`;
}
const INSERT_SQL: string[] = [];

const LIST_SENT = `
  SELECT ${COLUMNS}
    FROM notifications
   WHERE appointment_id = @appointment_id AND status = 'sent'
   ORDER BY created_at, id`;

/** Rows per INSERT: a booking queues at most 4; larger batches go in chunks of this many. */
const MAX_ROWS_PER_INSERT = 16;

export function enqueueNotifications(sql: StatementCache, rows: readonly Notification[]): void {
  const write = () => {
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + MAX_ROWS_PER_INSERT);
      const params: Record<string, unknown> = {};
      chunk.forEach((row, i) => {
        for (const [key, value] of Object.entries(notificationToParams(row)))
          params[`${key}_${i}`] = value;
      });
      sql.run((INSERT_SQL[chunk.length] ??= insertSql(chunk.length)), params as never);
    }
  };
  // One chunk is one atomic statement; several need a savepoint to stay all-or-nothing.
  if (rows.length <= MAX_ROWS_PER_INSERT) write();
  else sql.atomically(write);
}

/** The appointment's delivered notifications, oldest (created_at, then id) first. */
export function listSentNotifications(sql: StatementCache, appointmentId: string): Notification[] {
  return sql.all<Notification>(LIST_SENT, { appointment_id: appointmentId });
}
