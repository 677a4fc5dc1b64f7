/**
 * Prepared statements of one connection, keyed by their SQL text: each statement is
 * compiled once on first use and reused for the life of the connection. Dynamic queries
 * (list filters) produce a bounded set of SQL texts, so the cache stays small.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './connection';

/** Named parameters, bound with `@name` in the SQL. */
export type NamedParams = Record<string, string | number | bigint | null>;

export class StatementCache {
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, Statement<[NamedParams]>>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** The statement for `sql`, prepared on first use. */
  get(sql: string): Statement<[NamedParams]> {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare<[NamedParams]>(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `sql` as a single row query. */
  get1<R>(sql: string, params: NamedParams = {}): R | undefined {
    return this.get(sql).get(params) as R | undefined;
  }

  /** Runs `sql` and returns every row. */
  all<R>(sql: string, params: NamedParams = {}): R[] {
    return this.get(sql).all(params) as R[];
  }

  /** Runs a statement that returns no rows; returns how many rows it changed. */
  run(sql: string, params: NamedParams = {}): number {
    return this.get(sql).run(params).changes;
  }

  /**
   * Runs `fn` in a deferred transaction, or in a savepoint inside an open one: several
   * reads see one snapshot even if another process commits in between, and several
   * writes succeed or fail together.
   */
  atomically<T>(fn: () => T): T {
    return this.#db.transaction(fn).deferred();
  }
}
