/**
 * The PGlite driver behind the executor seam. PGlite is one connection: its own
 * mutex serializes transactions, and ad-hoc queries wait for an open transaction to
 * end, so reads outside `write()` only ever see committed data.
 *
 * The same mutex means a store-level statement issued from INSIDE a transaction
 * callback (e.g. `store.getX()` instead of `tx.getX()`) would wait for that very
 * transaction forever. Such a call throws instead of hanging.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite } from '@electric-sql/pglite';
import type { Database, Executor, Row } from './executor';

interface PgliteQueryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(script: string): Promise<unknown>;
}

function executorOf(target: PgliteQueryable, beforeEach: () => void = () => undefined): Executor {
  return {
    async query<R extends Row = Row>(text: string, params: readonly unknown[] = []) {
      beforeEach();
      const result = await target.query<R>(text, [...params]);
      return result.rows;
    },
    async exec(script: string) {
      beforeEach();
      await target.exec(script);
    },
  };
}

/** Wraps an open PGlite instance; `close()` closes it. */
export function pgliteDatabase(db: PGlite): Database {
  // The transaction whose callback the current async context runs in, if any.
  const insideTransaction = new AsyncLocalStorage<{ open: boolean }>();
  const base = executorOf(db, () => {
    if (insideTransaction.getStore()?.open) {
      throw new Error(
        'A store call inside a write() callback would deadlock on PGlite: use the tx instead.',
      );
    }
  });
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    // PGlite runs BEGIN/COMMIT itself, rolls back and rethrows the same error when
    // `fn` throws, and throws TransactionAbortedError when COMMIT reports ROLLBACK.
    async transaction(fn) {
      if (insideTransaction.getStore()?.open) {
        throw new Error('write() inside a write() callback would deadlock on PGlite.');
      }
      const marker = { open: true };
      try {
        return await db.transaction((tx) =>
          insideTransaction.run(marker, () => fn(executorOf(tx))),
        );
      } finally {
        marker.open = false;
      }
    },
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
