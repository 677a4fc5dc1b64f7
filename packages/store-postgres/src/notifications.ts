/**
 * The notification queue on central: enqueue (exactly once per id and dedupe_key), the
 * dispatcher's claim and release, and the reads of the API and the reminder logic.
 * Several central processes may dispatch at once: a claim locks the rows it takes and
 * skips the rows another claim holds (FOR UPDATE SKIP LOCKED), so no row goes twice.
 */
import type { NotificationClaim, NotificationQuery, Page } from '@clinic/core';
import type { Notification, NotificationChannel } from '@clinic/domain';
import { NOTIFICATION_COLUMNS, toNotification } from './columns';
import type { Executor } from './executor';
import { Params, lookupId } from './params';
import { selectPage } from './paging';
import { insertStatement, updateStatement } from './row-statements';
import { msColumn, tsParam } from './sql-time';

/** The rows of `returned` (a RETURNING, in no set order) in the order of `given`. */
function inGivenOrder(given: readonly Notification[], returned: Notification[]): Notification[] {
  const byId = new Map(returned.map((n) => [n.id, n]));
  const ordered: Notification[] = [];
  for (const row of given) {
    const stored = byId.get(row.id);
    if (stored === undefined) continue;
    ordered.push(stored);
    byId.delete(row.id); // a later row of the batch with this id was skipped
  }
  return ordered;
}

/** A statement and its values (exported for the query-plan test). */
export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * The claim, one statement: the subquery picks and locks the due rows from the partial
 * index `notifications_claim` (skipping those another claim holds), the UPDATE marks
 * them; the change-log trigger ignores `sending`. Returned oldest due first.
 */
export function claimStatement(claim: NotificationClaim): Statement {
  const params = new Params();
  const owner = params.add(claim.owner);
  const channels = params.add([...claim.channels]);
  const now = params.addTime(claim.now);
  const limit = params.add(claim.limit);
  return {
    text: `WITH claimed AS (
             UPDATE notifications
                SET status = 'sending', attempts = attempts + 1, updated_at = ${now}
              WHERE id IN (SELECT d.id FROM notifications d
                            WHERE d.status = 'pending' AND d.owner = ${owner}
                              AND d.channel = ANY(${channels}::text[])
                              AND d.next_attempt_at <= ${now}
                            ORDER BY d.next_attempt_at, d.id
                            LIMIT ${limit}
                            FOR UPDATE SKIP LOCKED)
             RETURNING *
           )
           SELECT ${NOTIFICATION_COLUMNS} FROM claimed n ORDER BY n.next_attempt_at, n.id`,
    values: params.values,
  };
}

/** The first due row of an owner on some channels: a walk of the partial index. */
export function nextDueStatement(
  owner: string,
  channels: readonly NotificationChannel[],
): Statement {
  return {
    text: `SELECT ${msColumn('n.next_attempt_at')} AS due
             FROM notifications n
            WHERE n.status = 'pending' AND n.owner = $1 AND n.channel = ANY($2::text[])
            ORDER BY n.next_attempt_at, n.id
            LIMIT 1`,
    values: [owner, [...channels]],
  };
}

export function notificationReads(ex: Executor) {
  return {
    async getNotification(id: string): Promise<Notification | undefined> {
      const [row] = await ex.query(
        `SELECT ${NOTIFICATION_COLUMNS} FROM notifications n WHERE n.id = $1`,
        [lookupId(id)],
      );
      return row && toNotification(row);
    },

    async listSentNotifications(appointmentId: string): Promise<Notification[]> {
      const rows = await ex.query(
        `SELECT ${NOTIFICATION_COLUMNS} FROM notifications n
          WHERE n.appointment_id = $1 AND n.status = 'sent'
          ORDER BY n.created_at, n.id`,
        [lookupId(appointmentId)],
      );
      return rows.map(toNotification);
    },

    listNotifications(query: NotificationQuery): Promise<Page<Notification>> {
      const params = new Params();
      const where: string[] = [];
      // The dead letter as a literal, so the planner can use its partial index.
      if (query.status === 'failed') where.push(`n.status = 'failed'`);
      else if (query.status !== undefined) where.push(`n.status = ${params.add(query.status)}`);
      if (query.appointment !== undefined) {
        where.push(`n.appointment_id = ${params.add(lookupId(query.appointment))}`);
      }
      return selectPage(
        ex,
        {
          columns: NOTIFICATION_COLUMNS,
          from: 'notifications n',
          where,
          orderBy: 'n.created_at, n.id',
        },
        params,
        query,
        toNotification,
      );
    },

    async nextNotificationDue(
      owner: string,
      channels: readonly NotificationChannel[],
    ): Promise<number | undefined> {
      if (channels.length === 0) return undefined;
      const statement = nextDueStatement(owner, channels);
      const [row] = await ex.query<{ due: number }>(statement.text, statement.values);
      return row?.due;
    },
  };
}

export function notificationWrites(ex: Executor) {
  return {
    async enqueueNotifications(rows: readonly Notification[]): Promise<Notification[]> {
      if (rows.length === 0) return [];
      const params = new Params();
      // Without a conflict target: a collision on the id or on the dedupe_key skips the row.
      const inserted = await ex.query(
        `WITH inserted AS (
           ${insertStatement('notifications', rows, params)} ON CONFLICT DO NOTHING RETURNING *
         )
         SELECT ${NOTIFICATION_COLUMNS} FROM inserted n`,
        params.values,
      );
      return inGivenOrder(rows, inserted.map(toNotification));
    },

    async updateNotification(row: Notification): Promise<void> {
      const params = new Params();
      const rows = await ex.query(
        `${updateStatement('notifications', row, params)} RETURNING id`,
        params.values,
      );
      if (rows.length !== 1) throw new Error(`Cannot update notification ${row.id}: no such row.`);
    },

    async recordDeliveries(rows: readonly Notification[]): Promise<void> {
      if (rows.length === 0) return;
      // One UPDATE for the batch (on PGlite every statement queues behind the bookings).
      const outcomes = rows.map((r) => ({
        id: r.id,
        status: r.status,
        attempts: r.attempts,
        sent_at: r.sent_at,
        next_attempt_at: r.next_attempt_at,
        last_error: r.last_error,
        updated_at: r.updated_at,
      }));
      const updated = await ex.query(
        `UPDATE notifications n
            SET status = v.status, attempts = v.attempts,
                sent_at = ${tsParam('v.sent_at')}, next_attempt_at = ${tsParam('v.next_attempt_at')},
                last_error = v.last_error, updated_at = ${tsParam('v.updated_at')}
           FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, status text, attempts integer,
                sent_at float8, next_attempt_at float8, last_error text, updated_at float8)
          WHERE n.id = v.id
      RETURNING n.id`,
        [JSON.stringify(outcomes)],
      );
      if (updated.length !== rows.length) {
        throw new Error(
          `Cannot record deliveries: ${rows.length - updated.length} row(s) missing.`,
        );
      }
    },

    async claimNotifications(claim: NotificationClaim): Promise<Notification[]> {
      if (claim.channels.length === 0 || claim.limit <= 0) return [];
      const statement = claimStatement(claim);
      const rows = await ex.query(statement.text, statement.values);
      return rows.map(toNotification);
    },

    async releaseNotificationClaims(owner: string, now: number): Promise<number> {
      const params = new Params();
      const at = params.addTime(now);
      const rows = await ex.query(
        `UPDATE notifications SET status = 'pending', next_attempt_at = ${at}, updated_at = ${at}
          WHERE status = 'sending' AND owner = ${params.add(owner)}
          RETURNING id`,
        params.values,
      );
      return rows.length;
    },

    async pendingReminders(appointmentId: string): Promise<Notification[]> {
      const rows = await ex.query(
        `SELECT ${NOTIFICATION_COLUMNS} FROM notifications n
          WHERE n.appointment_id = $1 AND n.event = 'reminder' AND n.status = 'pending'
          ORDER BY n.created_at, n.id`,
        [lookupId(appointmentId)],
      );
      return rows.map(toNotification);
    },
  };
}
