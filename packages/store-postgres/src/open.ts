/**
 * Opening a store: connect, apply pending migrations, wrap in the port. `openPgliteStore`
 * runs PostgreSQL in-process (in memory or in a data directory); `openPostgresStore`
 * talks to a server through a connection pool.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Database } from './executor';
import { migrate } from './migrate';
import { pgDatabase } from './pg-database';
import { pgliteDatabase } from './pglite-database';
import { createStore, type PgStore } from './store';

export interface PgliteStoreOptions {
  /** Directory of the database files; undefined keeps the database in memory. */
  dataDir?: string;
  /**
   * Start from this data directory image (from `PGlite.dumpDataDir`) instead of an
   * empty cluster. Used by `createPgliteTemplate` to clone a migrated database quickly.
   */
  loadDataDir?: Blob | File;
}

export interface PostgresStoreOptions {
  connectionString: string;
  /** Maximum pool connections. Default 10. */
  poolSize?: number;
}

/** Migrates `db` and wraps it; closes it if migrating fails. */
export async function openDatabase(db: Database): Promise<PgStore> {
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return createStore(db);
}

export async function openPgliteStore(options: PgliteStoreOptions = {}): Promise<PgStore> {
  const pglite = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
  });
  return openDatabase(pgliteDatabase(pglite));
}

export function openPostgresStore(options: PostgresStoreOptions): Promise<PgStore> {
  return openDatabase(pgDatabase(options));
}
