/**
 * The PGlite driver behind the executor seam. PGlite is one connection: its own
 * mutex serializes transactions, and ad-hoc queries wait for an open transaction to
 * end, so reads outside `write()` only ever see committed data.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Database, Executor, Row } from './executor';

interface PgliteQueryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(script: string): Promise<unknown>;
}

function executorOf(target: PgliteQueryable): Executor {
  return {
    async query<R extends Row = Row>(text: string, params: readonly unknown[] = []) {
      const result = await target.query<R>(text, [...params]);
      return result.rows;
    },
    async exec(script: string) {
      await target.exec(script);
    },
  };
}

/** Wraps an open PGlite instance; `close()` closes it. */
export function pgliteDatabase(db: PGlite): Database {
  const base = executorOf(db);
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    // PGlite runs BEGIN/COMMIT itself, rolls back and rethrows the same error when
    // `fn` throws, and throws TransactionAbortedError when COMMIT reports ROLLBACK.
    transaction: (fn) => db.transaction((tx) => fn(executorOf(tx))),
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
