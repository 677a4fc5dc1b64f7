/**
 * The node-postgres driver behind the executor seam. Every statement runs on a
 * connection checked out with `pool.connect()` and handed back with `release()`:
 * `Pool.query` destroys the connection on ANY error (a unique violation included),
 * which measured 3x slower under constraint-heavy load. A connection is destroyed
 * instead of reused only when the connection itself failed.
 */
import pg from 'pg';
import { TransactionAbortedError, type Database, type Executor, type Row } from './executor';

/** A server error (the connection is still usable) rather than a broken socket. */
function isServerError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'severity' in e && 'code' in e;
}

/** A checked-out connection that remembers whether it broke while checked out. */
interface Lease {
  client: pg.PoolClient;
  /** Marks the connection as broken: `release()` will destroy it. */
  fail(e: unknown): void;
  /** Hands the connection back (or destroys it if it broke). Call once. */
  release(): void;
}

async function lease(pool: pg.Pool): Promise<Lease> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The pool listens for errors of idle connections only. A checked-out connection that
  // drops between statements (server restart, DROP DATABASE ... FORCE) emits 'error',
  // which would crash the process with no listener; the next statement rejects anyway.
  const onError = (e: Error) => {
    broken ??= e;
  };
  client.on('error', onError);
  return {
    client,
    fail(e) {
      broken ??= e instanceof Error ? e : new Error(String(e));
    },
    release() {
      client.removeListener('error', onError);
      client.release(broken);
    },
  };
}

/**
 * Statements on `client`. `usable` guards a transaction's executor: once the transaction
 * ended the connection is back in the pool, and a leaked executor must throw rather
 * than run statements outside its transaction (or inside someone else's).
 */
function executorOf(client: pg.PoolClient, usable: () => boolean = () => true): Executor {
  const check = () => {
    if (!usable()) throw new Error('This transaction has ended: use a tx only inside write().');
  };
  return {
    async query<R extends Row = Row>(text: string, params: readonly unknown[] = []) {
      check();
      const result = await client.query<R>(text, params as unknown[]);
      return result.rows;
    },
    async exec(script: string) {
      check();
      // No parameters: the simple query protocol, which accepts several statements.
      await client.query(script);
    },
  };
}

/** Runs `fn` on a checked-out connection outside any explicit transaction. */
async function withClient<T>(pool: pg.Pool, fn: (ex: Executor) => Promise<T>): Promise<T> {
  const held = await lease(pool);
  try {
    return await fn(executorOf(held.client));
  } catch (e) {
    if (!isServerError(e)) held.fail(e);
    throw e;
  } finally {
    held.release();
  }
}

/** Runs `fn` between BEGIN and COMMIT on one checked-out connection. */
async function inTransaction<T>(pool: pg.Pool, fn: (tx: Executor) => Promise<T>): Promise<T> {
  const held = await lease(pool);
  const { client } = held;
  let open = true;
  const control = async (statement: 'BEGIN' | 'COMMIT' | 'ROLLBACK') => {
    try {
      return await client.query(statement);
    } catch (e) {
      // After a failed ROLLBACK the connection's state is unknown: never reuse it.
      if (statement === 'ROLLBACK' || !isServerError(e)) held.fail(e);
      throw e;
    }
  };
  try {
    await control('BEGIN');
    let result: T;
    try {
      result = await fn(executorOf(client, () => open));
    } catch (e) {
      open = false;
      // Report the caller's error, not a failure to roll back after it.
      await control('ROLLBACK').catch(() => undefined);
      throw e;
    }
    open = false;
    const commit = await control('COMMIT');
    // COMMIT of a transaction in which a statement failed is answered with ROLLBACK.
    if (commit.command === 'ROLLBACK') throw new TransactionAbortedError();
    return result;
  } finally {
    open = false;
    held.release();
  }
}

export interface PgDatabaseOptions {
  connectionString: string;
  /** Maximum connections in the pool. Default 10. */
  poolSize?: number;
}

export function pgDatabase(options: PgDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    application_name: 'clinic-store',
  });
  // An idle connection that the server drops emits 'error' on the pool; unhandled, that
  // would crash the process. The pool has already discarded that connection.
  pool.on('error', () => undefined);
  let closing: Promise<void> | undefined;

  return {
    kind: 'postgres',
    query: (text, params) => withClient(pool, (ex) => ex.query(text, params)),
    exec: (script) => withClient(pool, (ex) => ex.exec(script)),
    transaction: (fn) => inTransaction(pool, fn),
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
