/**
 * The Store over a Database: one implementation of the port for PGlite and for a
 * PostgreSQL server. Reads outside `write()` run on their own connection (committed
 * data only); `write(fn)` runs `fn` in one transaction with the reads and writes of a
 * WriteTx bound to it.
 */
import type { Store, WriteTx } from '@clinic/core';
import type { Database } from './executor';
import { createReads } from './reads';
import { createWrites } from './writes';

export function createStore(db: Database): Store {
  return {
    kind: db.kind,
    ...createReads(db),

    write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
      const serialized = db.kind === 'pglite';
      return db.transaction((ex) =>
        fn({ ...createReads(ex), ...createWrites(ex, { serialized }) }),
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
