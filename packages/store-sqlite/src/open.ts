/** Opens a SqliteStore: connections with their pragmas, then pending migrations. */
import { MEMORY_FILE, openConnection, type SqliteDatabase } from './connection';
import { runMigrations } from './migrate';
import { SqliteStore } from './store';

export interface SqliteStoreOptions {
  /** Path of the database file, created if missing; `':memory:'` for a throwaway store. */
  file: string;
}

/**
 * Opens (creating if needed) the database at `options.file`, applies the migrations it
 * lacks and returns the store. Synchronous: better-sqlite3 opens files synchronously.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const writer = openConnection(options.file, 'writer');
  let reader: SqliteDatabase | undefined;
  try {
    runMigrations(writer);
    // The reader opens after the migrations, so it never sees a half-built schema.
    reader = options.file === MEMORY_FILE ? undefined : openConnection(options.file, 'reader');
    return new SqliteStore(options.file, writer, reader);
  } catch (error) {
    reader?.close();
    writer.close();
    throw error;
  }
}
