/**
 * The Store over a Database: one implementation of the port for PGlite and for a
 * PostgreSQL server. Reads outside `write()` run on their own connection (committed
 * data only); `write(fn)` runs `fn` in one transaction with the reads and writes of a
 * WriteTx bound to it.
 */
import type { Store, WriteTx } from '@clinic/core';
import type { Database, Executor } from './executor';
import { createReads } from './reads';
import { createWrites } from './writes';

/** The Store plus its Database, for central's sync adapter (src/sync). */
export interface PgStore extends Store {
  readonly db: Database;
  /** write(), with the transaction's executor too (for central's sync tables). */
  writeWith<T>(fn: (tx: WriteTx, ex: Executor) => Promise<T>): Promise<T>;
}

export function createStore(db: Database): PgStore {
  return {
    kind: db.kind,
    db,
    ...createReads(db),

    write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
      return this.writeWith((tx) => fn(tx));
    },

    writeWith<T>(fn: (tx: WriteTx, ex: Executor) => Promise<T>): Promise<T> {
      const serialized = db.kind === 'pglite';
      return db.transaction((ex) =>
        fn({ ...createReads(ex), ...createWrites(ex, { serialized }) }, ex),
      );
    },

    async getMeta(key) {
      const [row] = await db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
        key,
      ]);
      return row?.value;
    },

    async setMeta(key, value) {
      await db.query(
        'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
        [key, value],
      );
    },

    async ping() {
      await db.query('SELECT 1');
    },

    close: () => db.close(),
  };
}
