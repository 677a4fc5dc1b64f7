/**
 * Login throttling counters in PostgreSQL: implements the ThrottleStore port of
 * packages/auth (rate-limit.ts) structurally, so that several central processes on one
 * server share them. One transaction per step: the counters' rows are created if absent
 * and locked (`FOR UPDATE`, in key order, so two steps never deadlock), the rules decide,
 * and the new states are written before COMMIT; a concurrent step on the same keys waits
 * for the lock and then reads what this one wrote.
 */
import type { Database } from './executor';

/** The same shape as @clinic/auth's ThrottleState (adapters do not import auth). */
interface ThrottleState {
  failures: number;
  lastAt: number;
  nextAt: number;
}

type Decide<R> = (states: ReadonlyMap<string, ThrottleState>) => {
  writes: Map<string, ThrottleState | null>;
  result: R;
};

/** Counters idle this long are deleted (at most once a minute per process). */
const FORGET_AFTER_MS = 24 * 3_600_000;
const SWEEP_EVERY_MS = 60_000;

export function createLoginThrottleStore(db: Database, now: () => number = Date.now) {
  let lastSweep = 0;
  return {
    async update<R>(keys: readonly string[], decide: Decide<R>): Promise<R> {
      const sorted = [...new Set(keys)].sort();
      const result = await db.transaction(async (tx) => {
        // A row must exist to be locked: create missing ones as "no failures".
        await tx.query(
          `INSERT INTO login_throttle (key, failures, last_at, next_at)
           SELECT k, 0, 0, 0 FROM unnest($1::text[]) AS k ORDER BY k
           ON CONFLICT (key) DO NOTHING`,
          [sorted],
        );
        const rows = await tx.query<{
          key: string;
          failures: number;
          last_at: string;
          next_at: string;
        }>(
          `SELECT key, failures, last_at::text, next_at::text FROM login_throttle
           WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`,
          [sorted],
        );
        const states = new Map<string, ThrottleState>();
        for (const r of rows) {
          if (r.failures > 0 || Number(r.next_at) > 0) {
            states.set(r.key, {
              failures: r.failures,
              lastAt: Number(r.last_at),
              nextAt: Number(r.next_at),
            });
          }
        }
        const { writes, result } = decide(states);
        const put = [...writes].filter((w): w is [string, ThrottleState] => w[1] !== null);
        const drop = [...writes].filter(([, s]) => s === null).map(([k]) => k);
        if (put.length > 0) {
          await tx.query(
            `UPDATE login_throttle AS t SET failures = v.failures, last_at = v.last_at, next_at = v.next_at
             FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[])
               AS v(key, failures, last_at, next_at)
             WHERE t.key = v.key`,
            [
              put.map(([k]) => k),
              put.map(([, s]) => s.failures),
              put.map(([, s]) => s.lastAt),
              put.map(([, s]) => s.nextAt),
            ],
          );
        }
        if (drop.length > 0) {
          await tx.query('DELETE FROM login_throttle WHERE key = ANY($1::text[])', [drop]);
        }
        return result;
      });
      const at = now();
      if (at - lastSweep >= SWEEP_EVERY_MS) {
        lastSweep = at;
        await db.query('DELETE FROM login_throttle WHERE last_at < $1 AND next_at < $1', [
          at - FORGET_AFTER_MS,
        ]);
      }
      return result;
    },
  };
}
