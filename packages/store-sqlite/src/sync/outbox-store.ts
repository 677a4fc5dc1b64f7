/**
 * The outbox of a clinic node (sync/SPEC.md section 2) for the sync engine: pending
 * mutations in sequence order, central's answers, and the rejections the node shows.
 * Implements EdgeOutboxStore of sync/src/edge/ports.ts structurally.
 */
import type { OutboxEntry } from '@clinic/core';
import { notificationsByIds } from '../notification-queries';
import type { SqliteStore } from '../store';

interface OutboxRow {
  seq: number;
  kind: OutboxEntry['kind'];
  entity_id: string;
  hlc: string;
  args: string;
}

export function createOutboxStore(store: SqliteStore) {
  return {
    /**
     * The next pending mutations. A `notifications.put` keeps only the ids of its rows in
     * the outbox (a booking's eight rows would otherwise be stored twice); their state as
     * it is now is read here, in the same snapshot, and sent as `{rows}`.
     */
    async pending(limit: number): Promise<OutboxRow[]> {
      return store.readSql((sql) =>
        sql
          .all<OutboxRow>(
            `SELECT seq, kind, entity_id, hlc, args FROM outbox
              WHERE status = 'pending' ORDER BY seq LIMIT @limit`,
            { limit },
          )
          .map((row) => {
            if (row.kind !== 'notifications.put') return row;
            const args = JSON.parse(row.args) as { ids?: string[] };
            if (!args.ids) return row;
            return { ...row, args: JSON.stringify({ rows: notificationsByIds(sql, args.ids) }) };
          }),
      );
    },

    async countPending(): Promise<number> {
      return store.readSql(
        (sql) =>
          sql.get1<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'`)?.n ??
          0,
      );
    },

    acknowledge(
      answers: readonly {
        seq: number;
        outcome: 'applied' | 'applied_with_conflict' | 'rejected';
        code?: string | undefined;
        message?: string | undefined;
      }[],
      at: number,
    ): Promise<void> {
      return store.writeSql((sql) => {
        for (const a of answers) {
          sql.run(
            `UPDATE outbox SET status = @status, code = @code, message = @message, acked_at = @at
              WHERE seq = @seq AND status = 'pending'`,
            {
              seq: a.seq,
              status: a.outcome,
              code: a.code ?? null,
              message: a.message ?? null,
              at,
            },
          );
        }
      });
    },

    async rejected(limit: number) {
      return store.readSql((sql) =>
        sql.all<{
          seq: number;
          kind: string;
          entity_id: string;
          code: string | null;
          message: string | null;
          at: number | null;
        }>(
          `SELECT seq, kind, entity_id, code, message, acked_at AS at FROM outbox
            WHERE status = 'rejected' ORDER BY seq DESC LIMIT @limit`,
          { limit },
        ),
      );
    },

    async countOpenConflicts(): Promise<number> {
      return store.readSql(
        (sql) =>
          sql.get1<{ n: number }>(`SELECT COUNT(*) AS n FROM conflicts WHERE status = 'open'`)?.n ??
          0,
      );
    },

    getMeta: (key: string) => store.getMeta(key),
    setMeta: (key: string, value: string) => store.setMeta(key, value),
  };
}
