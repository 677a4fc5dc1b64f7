/**
 * Test support for a real PostgreSQL server: reads its URL from TEST_DATABASE_URL and
 * gives every store its own throwaway database (`clinic_test_<random>`), dropped WITH
 * (FORCE) afterwards, so tests never touch other data on the server.
 *
 * Without TEST_DATABASE_URL the server suites are skipped with a loud warning; under CI
 * (`CI` set) that is an error instead, so a misconfigured pipeline cannot pass silently.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Store } from '@clinic/core';
import { openPostgresStore } from '@clinic/store-postgres';

/** The admin URL of the test server, or undefined (after a warning) when tests must skip. */
export function testDatabaseUrl(suite: string): string | undefined {
  const url = process.env.TEST_DATABASE_URL;
  if (url !== undefined && url !== '') return url;
  const message =
    `TEST_DATABASE_URL is not set: the ${suite} tests against a real PostgreSQL server ` +
    'cannot run. Set it, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres';
  if (process.env.CI) throw new Error(`${message} (CI is set, so this is a failure, not a skip)`);
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! SKIPPED: ${message}\n${bar}\n`);
  return undefined;
}

/** A throwaway database on the test server. */
export interface TestDatabase {
  name: string;
  /** Connection string of this database. */
  url: string;
  /** Drops the database, terminating any connection still open. Idempotent. */
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `clinic_test_<random>` on the server of `adminUrl`. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  // The name is generated here from [0-9a-f] only: safe to put in DDL, which takes no
  // parameters.
  const name = `clinic_test_${randomBytes(8).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop() {
      dropped ??= admin(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

/** A store on its own fresh database; `dispose` closes it and drops the database. */
export interface DisposableStore {
  store: Store;
  database: TestDatabase;
  dispose(): Promise<void>;
}

/** Creates a database, opens (and migrates) a pooled store on it. */
export async function openTestPostgresStore(
  adminUrl: string,
  options: { poolSize?: number } = {},
): Promise<DisposableStore> {
  const database = await createTestDatabase(adminUrl);
  let store: Store;
  try {
    store = await openPostgresStore({ connectionString: database.url, ...options });
  } catch (e) {
    await database.drop();
    throw e;
  }
  return {
    store,
    database,
    async dispose() {
      await store.close();
      await database.drop();
    },
  };
}
