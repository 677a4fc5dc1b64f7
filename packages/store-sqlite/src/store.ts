/**
 * SqliteStore: the storage port on one SQLite file, with two connections.
 *
 * - The WRITER runs every transaction. better-sqlite3 is synchronous but `write(fn)` is
 *   async (fn awaits), and one connection cannot interleave two transactions, so writes
 *   take turns in FIFO order. The writes waiting when the writer gets its turn share one
 *   SQLite transaction and one COMMIT (group commit, see group-commit.ts); each keeps its
 *   own all-or-nothing outcome through a SAVEPOINT, and is answered after the COMMIT. BEGIN IMMEDIATE takes SQLite's write lock up front,
 *   which also serializes against other processes (waiting up to busy_timeout; note that
 *   this wait blocks the event loop, as every better-sqlite3 call does). Hence: one
 *   store per file per process; a second store on the same file in the same process
 *   would block the event loop waiting for a lock that the first cannot release.
 * - The READER serves every read outside `write()`. In WAL mode it sees the last
 *   committed state, never the open transaction of the writer.
 *
 * An in-memory database (`':memory:'`) is private to its connection, so there the writer
 * serves the reads too, and a read made while a write() callback is in progress sees
 * that transaction's uncommitted rows. Use a file wherever that matters.
 *
 * `write()`, `setMeta()` and `close()` wait for the mutex, so calling any of them from
 * inside a write() callback deadlocks: use the tx there.
 */
import type { Store, WriteTx } from '@clinic/core';
import { readPragmas, type ConnectionPragmas, type SqliteDatabase } from './connection';
import * as meta from './meta-queries';
import { runGroup, type GroupConnection, type Job } from './group-commit';
import { AsyncMutex } from './mutex';
import { SqliteReads } from './reads';
import { StatementCache } from './statement-cache';
import { SqliteWriteTx } from './write-tx';
export type { StatementCache } from './statement-cache';

export class SqliteStore extends SqliteReads implements Store {
  readonly kind = 'sqlite' as const;
  /** The database file (or `':memory:'`). */
  readonly file: string;

  readonly #writer: SqliteDatabase;
  readonly #reader: SqliteDatabase | undefined;
  readonly #writerSql: StatementCache;
  readonly #mutex = new AsyncMutex();
  readonly #groupConnection: GroupConnection;
  /** write() calls waiting for the writer, in call order. */
  readonly #queue: Job[] = [];
  /** Whether a group is scheduled on the mutex (and will take what is queued). */
  #groupScheduled = false;
  /** Set by close(): no new writes are accepted. */
  #closing: Promise<void> | undefined;
  /** Set once the connections are closed: nothing is accepted. */
  #closed = false;

  /**
   * Takes ownership of open, migrated connections (see `openSqliteStore`). `reader` is
   * undefined for an in-memory database.
   */
  constructor(file: string, writer: SqliteDatabase, reader: SqliteDatabase | undefined) {
    const writerSql = new StatementCache(writer);
    super(reader === undefined ? writerSql : new StatementCache(reader));
    this.file = file;
    this.#writer = writer;
    this.#reader = reader;
    this.#writerSql = writerSql;
    this.#groupConnection = {
      run: (sql) => writerSql.run(sql),
      get inTransaction() {
        return writer.inTransaction;
      },
    };
  }

  /**
   * Runs `fn` in one transaction on the writer connection, after every write() called
   * before it. Commits when `fn` resolves; when it throws, rolls back and rethrows the
   * same error.
   */
  async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    this.#checkAcceptingWrites();
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        run: () => this.#runInSavepoint(fn),
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#scheduleGroup();
    });
  }

  #scheduleGroup(): void {
    if (this.#groupScheduled) return;
    this.#groupScheduled = true;
    void this.#mutex.runExclusive(async () => {
      this.#groupScheduled = false;
      if (this.#queue.length === 0) return;
      try {
        if (this.#closed) throw new Error('The SQLite store is closed.');
        await runGroup(this.#groupConnection, () => this.#queue.shift());
      } catch (error) {
        // BEGIN failed (write lock held elsewhere past busy_timeout, or closed): none of
        // the waiting writes can run now, so each is refused with the reason.
        for (const job of this.#queue.splice(0)) job.reject(error);
      }
      if (this.#queue.length > 0) this.#scheduleGroup();
    });
  }

  /** One write inside the group's transaction; the savepoint is handled by runGroup. */
  async #runInSavepoint<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    const tx = new SqliteWriteTx(this.#writerSql);
    try {
      return await fn(tx);
    } finally {
      tx.end();
    }
  }

  /**
   * For the sync adapter of this package (src/sync): runs `fn` synchronously on the
   * writer, in turn with write() calls and inside the same group commit and SAVEPOINT
   * discipline: all of `fn`'s statements commit together or not at all.
   */
  writeSql<T>(fn: (sql: StatementCache) => T): Promise<T> {
    return this.write(async () => fn(this.#writerSql));
  }

  /** For the sync adapter: a synchronous read on the reader connection (committed data). */
  readSql<T>(fn: (sql: StatementCache) => T): T {
    this.checkUsable();
    return fn(this.sql);
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.checkUsable();
    return meta.getMeta(this.sql, key);
  }

  /** Writes one meta value in its own transaction, in turn with the write() calls. */
  async setMeta(key: string, value: string): Promise<void> {
    this.#checkAcceptingWrites();
    await this.#mutex.runExclusive(() => meta.setMeta(this.#writerSql, key, value));
  }

  async ping(): Promise<void> {
    this.checkUsable();
    this.sql.get1('SELECT 1');
  }

  /**
   * Refuses new writes at once, lets the writes already waiting finish, then closes both
   * connections. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#mutex.runExclusive(() => {
      this.#closed = true;
      this.#reader?.close();
      try {
        // Recommended by SQLite before closing: refresh the planner statistics if stale.
        this.#writer.pragma('optimize');
      } finally {
        this.#writer.close();
      }
    });
    return this.#closing;
  }

  /** The pragmas of both connections as SQLite reports them (diagnostics, tests). */
  pragmas(): { writer: ConnectionPragmas; reader: ConnectionPragmas } {
    this.checkUsable();
    return {
      writer: readPragmas(this.#writer),
      reader: readPragmas(this.#reader ?? this.#writer),
    };
  }

  protected override checkUsable(): void {
    if (this.#closed) throw new Error('The SQLite store is closed.');
  }

  #checkAcceptingWrites(): void {
    if (this.#closing !== undefined) throw new Error('The SQLite store is closed.');
  }
}
