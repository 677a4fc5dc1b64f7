/**
 * SQL for the notification queue: enqueue (exactly once per id and dedupe_key), the
 * dispatcher's claim and release, and the reads of the API and the reminder logic.
 * The claim runs on the node's only writer, so it is one index-driven UPDATE.
 */
import type { NotificationClaim, NotificationQuery, Page } from '@clinic/core';
import type { Notification, NotificationChannel } from '@clinic/domain';
import { assertUpdated } from './missing-row';
import { readPage, type PageSql } from './paging';
import { notificationToParams } from './row-mapping';
import type { NamedParams, StatementCache } from './statement-cache';
import { WhereClause } from './where-clause';

export const NOTIFICATION_COLUMNS =
  'id, appointment_id, event, recipient, channel, address, dedupe_key, status, attempts, ' +
  'created_at, sent_at, owner, next_attempt_at, last_error, conflict_id, reminder_for, ' +
  'updated_at';

const PARAMS = NOTIFICATION_COLUMNS.split(', ');

/**
 * One INSERT for `n` rows (one statement is atomic by itself: no savepoint needed on the
 * booking path). A row whose id or dedupe_key exists (or came earlier in the batch) is
 * skipped; RETURNING yields the ids of the rows inserted (they are stored as given). Any other constraint failure still
 * throws. The texts for each n are prepared once by the statement cache.
 */
function insertSql(n: number): string {
  const tuples = Array.from(
    { length: n },
    (_, i) => `(${PARAMS.map((p) => `@${p}_${i}`).join(', ')})`,
  );
  return (
    `INSERT INTO notifications (${NOTIFICATION_COLUMNS}) VALUES ${tuples.join(', ')} ` +
    `ON CONFLICT DO NOTHING RETURNING id`
  );
}
const INSERT_SQL: string[] = [];

const GET = `SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = @id`;

// One appointment's rows are few: `+status` keeps the planner on the appointment index
// (without statistics it would prefer walking the status index, which holds every row
// of that status).
export const LIST_SENT = `
  SELECT ${NOTIFICATION_COLUMNS}
    FROM notifications
   WHERE appointment_id = @appointment_id AND +status = 'sent'
   ORDER BY created_at, id`;

export const PENDING_REMINDERS = `
  SELECT ${NOTIFICATION_COLUMNS}
    FROM notifications
   WHERE appointment_id = @appointment_id AND event = 'reminder' AND +status = 'pending'
   ORDER BY created_at, id`;

const UPDATE = `
  UPDATE notifications
     SET appointment_id = @appointment_id, event = @event, recipient = @recipient,
         channel = @channel, address = @address, dedupe_key = @dedupe_key, status = @status,
         attempts = @attempts, created_at = @created_at, sent_at = @sent_at, owner = @owner,
         next_attempt_at = @next_attempt_at, last_error = @last_error,
         conflict_id = @conflict_id, reminder_for = @reminder_for, updated_at = @updated_at
   WHERE id = @id`;

export const RELEASE = `
  UPDATE notifications
     SET status = 'pending', next_attempt_at = @now, updated_at = @now
   WHERE status = 'sending' AND owner = @owner`;

/**
 * `channel IN (@channel_0, ...)` for the distinct channels, and their parameters. The
 * channels are a small fixed set, so there are only a few SQL texts to prepare.
 */
function channelsIn(channels: readonly NotificationChannel[]): {
  sql: string;
  params: NamedParams;
} {
  const distinct = [...new Set(channels)].sort();
  const params: NamedParams = {};
  distinct.forEach((c, i) => (params[`channel_${i}`] = c));
  const placeholders = Object.keys(params).map((p) => `@${p}`);
  return { sql: `channel IN (${placeholders.join(', ')})`, params };
}

/** A statement and its parameters (exported for the query-plan test). */
export interface Statement {
  sql: string;
  params: NamedParams;
}

/**
 * The claim: one UPDATE of the rows its subquery picks from the partial index
 * `notifications_claim`. `status = 'pending'` is literal SQL here and in nextDueStatement:
 * SQLite uses a partial index only when the query's WHERE visibly implies its own.
 */
export function claimStatement(claim: NotificationClaim): Statement {
  const channels = channelsIn(claim.channels);
  return {
    sql: `
      UPDATE notifications
         SET status = 'sending', attempts = attempts + 1, updated_at = @now
       WHERE id IN (SELECT id FROM notifications
                     WHERE status = 'pending' AND owner = @owner AND next_attempt_at <= @now
                       AND ${channels.sql}
                     ORDER BY next_attempt_at, id
                     LIMIT @limit)
      RETURNING ${NOTIFICATION_COLUMNS}`,
    params: { owner: claim.owner, now: claim.now, limit: claim.limit, ...channels.params },
  };
}

/** The first due row of an owner on some channels: a walk of the partial index. */
export function nextDueStatement(
  owner: string,
  channels: readonly NotificationChannel[],
): Statement {
  const inChannels = channelsIn(channels);
  return {
    sql: `
      SELECT next_attempt_at FROM notifications
       WHERE status = 'pending' AND owner = @owner AND ${inChannels.sql}
       ORDER BY next_attempt_at, id
       LIMIT 1`,
    params: { owner, ...inChannels.params },
  };
}

/** By (next_attempt_at, id): the claim's order (RETURNING gives no order). */
function byDueThenId(a: Notification, b: Notification): number {
  if (a.next_attempt_at !== b.next_attempt_at) return a.next_attempt_at - b.next_attempt_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Rows per INSERT: a booking queues at most 4; larger batches go in chunks of this many. */
const MAX_ROWS_PER_INSERT = 16;

/** Inserts the rows whose id and dedupe_key are new; returns them, in the order given. */
export function enqueueNotifications(
  sql: StatementCache,
  rows: readonly Notification[],
): Notification[] {
  const write = () => {
    const inserted = new Set<string>();
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + MAX_ROWS_PER_INSERT);
      const params: NamedParams = {};
      chunk.forEach((row, i) => {
        for (const [key, value] of Object.entries(notificationToParams(row)))
          params[`${key}_${i}`] = value;
      });
      const text = (INSERT_SQL[chunk.length] ??= insertSql(chunk.length));
      for (const { id } of sql.all<{ id: string }>(text, params)) inserted.add(id);
    }
    const result: Notification[] = [];
    for (const row of rows) {
      if (!inserted.delete(row.id)) continue; // a later row of the batch with this id was skipped
      result.push(row);
    }
    return result;
  };
  // One chunk is one atomic statement; several need a savepoint to stay all-or-nothing.
  return rows.length <= MAX_ROWS_PER_INSERT ? write() : sql.atomically(write);
}

export function getNotification(sql: StatementCache, id: string): Notification | undefined {
  return sql.get1<Notification>(GET, { id });
}

/** The appointment's delivered notifications, oldest (created_at, then id) first. */
/** The notifications with these ids (those that exist), in no particular order. */
export function notificationsByIds(sql: StatementCache, ids: readonly string[]): Notification[] {
  const rows: Notification[] = [];
  for (const id of ids) {
    const row = getNotification(sql, id);
    if (row) rows.push(row);
  }
  return rows;
}

export function listSentNotifications(sql: StatementCache, appointmentId: string): Notification[] {
  return sql.all<Notification>(LIST_SENT, { appointment_id: appointmentId });
}

/** The SQL of a listNotifications page and its filter's parameters. */
export function listPageSql(query: NotificationQuery): { text: PageSql; params: NamedParams } {
  const where = new WhereClause();
  if (query.appointment !== undefined) {
    where.add('appointment_id = @appointment_id', { appointment_id: query.appointment });
  }
  if (query.status === 'failed' && query.appointment === undefined) {
    // A literal, so that SQLite uses the partial index of the dead letter.
    where.add("status = 'failed'");
  } else if (query.status !== undefined) {
    // With an appointment, its index is the narrower one (see LIST_SENT).
    where.add('+status = @status', { status: query.status });
  }
  const filter = where.toSql();
  return {
    text: {
      count: `SELECT COUNT(*) AS count FROM notifications ${filter}`,
      rows: `SELECT ${NOTIFICATION_COLUMNS} FROM notifications ${filter}
              ORDER BY created_at, id LIMIT @limit OFFSET @offset`,
    },
    params: where.params,
  };
}

/** One page of notifications by (created_at, id), filtered by status and appointment. */
export function listNotifications(
  sql: StatementCache,
  query: NotificationQuery,
): Page<Notification> {
  const { text, params } = listPageSql(query);
  return readPage<Notification, Notification>(sql, text, params, query, (r) => r);
}

/** The earliest next_attempt_at of `owner`'s pending rows on `channels`, or undefined. */
export function nextNotificationDue(
  sql: StatementCache,
  owner: string,
  channels: readonly NotificationChannel[],
): number | undefined {
  if (channels.length === 0) return undefined;
  const next = nextDueStatement(owner, channels);
  return sql.get1<{ next_attempt_at: number }>(next.sql, next.params)?.next_attempt_at;
}

export function updateNotification(sql: StatementCache, row: Notification): void {
  assertUpdated(sql.run(UPDATE, notificationToParams(row)), 'notification', row.id);
}

/** Marks the due rows `sending` (attempts + 1) and returns them, oldest due first. */
export function claimNotifications(sql: StatementCache, claim: NotificationClaim): Notification[] {
  if (claim.channels.length === 0 || claim.limit <= 0) return [];
  const statement = claimStatement(claim);
  return sql.all<Notification>(statement.sql, statement.params).sort(byDueThenId);
}

/** Puts `owner`'s `sending` rows back to `pending`, due `now`; returns how many. */
export function releaseNotificationClaims(sql: StatementCache, owner: string, now: number): number {
  return sql.run(RELEASE, { owner, now });
}

export function pendingReminders(sql: StatementCache, appointmentId: string): Notification[] {
  return sql.all<Notification>(PENDING_REMINDERS, { appointment_id: appointmentId });
}
