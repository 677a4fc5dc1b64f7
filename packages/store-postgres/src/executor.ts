/**
 * The tiny seam between the PostgreSQL store and its two drivers (PGlite in-process,
 * node-postgres against a server). Everything above it is ONE implementation with the
 * same SQL for both engines; everything below it is driver plumbing.
 */

/** A row as the driver returns it: column name -> parsed value. */
export type Row = Record<string, unknown>;

/** Runs statements on one connection (or one open transaction). */
export interface Executor {
  /** One parameterized statement ($1, $2, ...); resolves to its rows. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** A script of several statements without parameters (migrations only). */
  exec(script: string): Promise<void>;
}

/** A database handle: ad-hoc statements, transactions and shutdown. */
export interface Database extends Executor {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` inside BEGIN ... COMMIT on one connection. If `fn` throws, the
   * transaction is rolled back and the same error is rethrown. A COMMIT that the
   * server turns into a rollback (the transaction had failed) throws.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /** Closes the connection(s). Idempotent. */
  close(): Promise<void>;
}

/** The error thrown when COMMIT reports ROLLBACK because a statement had failed. */
export class TransactionAbortedError extends Error {
  constructor() {
    super('The transaction was rolled back at COMMIT because one of its statements failed.');
    this.name = 'TransactionAbortedError';
  }
}
