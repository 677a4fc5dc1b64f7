/**
 * Opens one better-sqlite3 connection with the pragmas every connection of the store
 * needs. The store keeps two per database file: a writer and a query-only reader.
 */
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export type ConnectionRole = 'writer' | 'reader';

/** How long a connection waits for another process's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** The path better-sqlite3 treats as a private, connection-local in-memory database. */
export const MEMORY_FILE = ':memory:';

/** The pragma values the store relies on, as SQLite reports them. */
export interface ConnectionPragmas {
  journal_mode: string;
  /** 2 = FULL. */
  synchronous: number;
  foreign_keys: number;
  busy_timeout: number;
  query_only: number;
}

/**
 * Opens `file` and sets:
 * - `journal_mode = WAL`: readers never block the writer and see only committed data
 *   (persistent in the file; an in-memory database stays in `memory` mode);
 * - `synchronous = FULL`: a commit is on disk before it returns, so an acknowledged
 *   write survives a power cut;
 * - `foreign_keys = ON` (off by default in SQLite);
 * - `busy_timeout`: wait for another process's lock instead of failing at once;
 * - `query_only = ON` for the reader, so a bug cannot write outside the writer's mutex.
 */
export function openConnection(file: string, role: ConnectionRole): SqliteDatabase {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (file !== MEMORY_FILE && String(mode).toLowerCase() !== 'wal') {
      throw new Error(`SQLite refused WAL mode for ${file} (journal_mode is ${String(mode)}).`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (role === 'reader') db.pragma('query_only = ON');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Reads back the pragmas set by `openConnection` (for diagnostics and tests). */
export function readPragmas(db: SqliteDatabase): ConnectionPragmas {
  const get = (name: string): unknown => db.pragma(name, { simple: true });
  return {
    journal_mode: String(get('journal_mode')),
    synchronous: Number(get('synchronous')),
    foreign_keys: Number(get('foreign_keys')),
    busy_timeout: Number(get('busy_timeout')),
    query_only: Number(get('query_only')),
  };
}
