/**
 * The node-postgres driver behind the executor seam. Every statement runs on a
 * connection checked out with `pool.connect()` and handed back with `release()`:
 * `Pool.query` destroys the connection on ANY error (a unique violation included),
 * which measured 3x slower under constraint-heavy load.
 */
import pg from 'pg';
import { TransactionAbortedError, type Database, type Executor, type Row } from './executor';

/** A server error (the connection is still usable) rather than a broken socket. */
function isServerError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'severity' in e && 'code' in e;
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

/** Checks out a connection for `fn`; destroys it instead of reusing it if it broke. */
async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await fn(client);
    client.release();
    return result;
  } catch (e) {
    client.release(isServerError(e) ? undefined : (e as Error));
    throw e;
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
  // An idle connection that the server drops (restart, DROP DATABASE ... FORCE) emits
  // 'error' on the pool; unhandled, that would crash the process. The pool discards it.
  pool.on('error', () => undefined);
  let closing: Promise<void> | undefined;

  return {
    kind: 'postgres',
    query: (text, params) => withClient(pool, (c) => executorOf(c).query(text, params)),
    exec: (script) => withClient(pool, (c) => executorOf(c).exec(script)),
    async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // Set when the connection itself failed: it is then destroyed, not reused.
      let broken: Error | undefined;
      let open = true;
      const control = async (statement: 'BEGIN' | 'COMMIT' | 'ROLLBACK') => {
        try {
          return await client.query(statement);
        } catch (e) {
          if (statement === 'ROLLBACK' || !isServerError(e)) broken = e as Error;
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
        client.release(broken);
      }
    },
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
