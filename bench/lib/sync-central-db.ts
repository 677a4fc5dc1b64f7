/**
 * Central's database for the sync benchmark, prepared before any central process starts:
 * PGlite in a temporary data directory (central's default), or a fresh database
 * `clinic_bench_<pid>` on a PostgreSQL server (created here, dropped at the end).
 *
 * 1. central's own store opens it once, which applies the migrations (0002_sync's
 *    change-log triggers included);
 * 2. the directory of bench/lib/dataset.ts (buildDirectoryRows: 8 facilities, 50
 *    providers, 2000 patients; providers log in with PROVIDER_PASSWORD) and the
 *    appointments on file (seededAppointment, with their notifications) are bulk-inserted
 *    with plain SQL (bench/lib/pg-bulk.ts), in one transaction. The triggers are NOT
 *    bypassed: INSERT ... SELECT fires them per row, so change_log holds what a central
 *    that took those rows one by one would hold (an appointment logs itself, its patient
 *    and its provider);
 * 3. ANALYZE, as autovacuum would have done on a central that grew to this size.
 *
 * `openRaw()` gives a plain connection (PGlite on the same data directory, or one pg
 * client) for the raw baseline; with PGlite, central must not be running then.
 */
import { hashPassword } from '@clinic/auth';
import { openCentralStore } from '@clinic/central';
import { createUuidV7Generator, type Appointment, type Notification } from '@clinic/domain';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { join } from 'node:path';
import pg from 'pg';
import { makeTempDir, removeTempDir } from './cleanup';
import { buildDirectoryRows, seededAppointment, type Directory, type Shape } from './dataset';
import { log, progress } from './log';
import { pgInsertDirectory, pgInsertRows, type PgQueryable } from './pg-bulk';
import { PROVIDER_PASSWORD } from './seed';
import { onCleanup } from './sync-cleanup';

export const SEED_NODE_ID = 'bench-seed';
const BATCH = 5000;

/** A plain connection: statements, and transactions (BEGIN ... COMMIT). */
export interface RawDb {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  transaction<T>(fn: (tx: RawDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SeedReport {
  migrateSeconds: number;
  directorySeconds: number;
  appointmentsSeconds: number;
  appointments: number;
  notifications: number;
  changeLogRows: number;
  triggers: 'fired (not bypassed)';
}

export interface CentralDb {
  kind: 'pglite' | 'postgres';
  /** For the report: "PGlite" or "PostgreSQL 15.4". */
  label: string;
  /** Where: the data directory or the database name and server. */
  detail: string;
  /** central's --data directory. */
  dataDir: string;
  /** central's --database-url (PostgreSQL only). */
  databaseUrl?: string;
  dir: Directory;
  seed: SeedReport;
  openRaw(): Promise<RawDb>;
  /** Removes the data directory or drops the database. Idempotent. */
  dispose(): Promise<void>;
}

function pgliteRaw(db: PGlite | Transaction): RawDb {
  return {
    query: async <R>(sql: string, params?: unknown[]) => {
      const r = await db.query<R>(sql, params);
      return { rows: r.rows };
    },
    transaction: (fn) => {
      if (!(db instanceof PGlite)) throw new Error('nested transaction');
      return db.transaction((tx) => fn(pgliteRaw(tx)));
    },
    close: async () => {
      if (db instanceof PGlite) await db.close();
    },
  };
}

function pgClientRaw(client: pg.Client): RawDb {
  const raw: RawDb = {
    query: async <R>(sql: string, params?: unknown[]) => {
      const r = await client.query(sql, params);
      return { rows: r.rows as R[] };
    },
    async transaction(fn) {
      await client.query('BEGIN');
      try {
        const result = await fn(raw);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    close: () => client.end(),
  };
  return raw;
}

async function pgConnect(url: string): Promise<RawDb> {
  const client = new pg.Client({ connectionString: url });
  // A connection that drops (the database dropped WITH (FORCE) on Ctrl+C) emits 'error',
  // which would crash the process without a listener; the next query rejects anyway.
  client.on('error', () => undefined);
  await client.connect();
  return pgClientRaw(client);
}

/** Inserts the appointments on file and their notifications, in batches. */
async function insertAppointments(
  tx: PgQueryable,
  dir: Directory,
  shape: Shape,
  day0: number,
  scope: string,
): Promise<number> {
  const ids = createUuidV7Generator({ now: () => Date.now() });
  const now = Date.now();
  const report = progress(
    scope,
    'appointments on file (bulk SQL, triggers on)',
    shape.appointments,
  );
  let notifications = 0;
  for (let from = 0; from < shape.appointments; from += BATCH) {
    const to = Math.min(shape.appointments, from + BATCH);
    const appointments: Appointment[] = [];
    const notes: Notification[] = [];
    for (let k = from; k < to; k += 1) {
      const s = seededAppointment(k, dir, shape, day0, ids, now, SEED_NODE_ID);
      appointments.push(s.appointment);
      notes.push(...s.notifications);
    }
    await pgInsertRows(tx, 'appointments', appointments);
    await pgInsertRows(tx, 'notifications', notes);
    notifications += notes.length;
    report(to);
  }
  return notifications;
}

async function seed(
  raw: RawDb,
  shape: Shape,
  day0: number,
  scope: string,
): Promise<{ dir: Directory; seed: Omit<SeedReport, 'migrateSeconds'> }> {
  const passwordHash = await hashPassword(PROVIDER_PASSWORD);
  const ids = createUuidV7Generator({ now: () => Date.now() });
  const dir = buildDirectoryRows(shape, ids, Date.now(), SEED_NODE_ID, passwordHash);
  const t0 = performance.now();
  let notifications = 0;
  let t1 = t0;
  await raw.transaction(async (tx) => {
    await pgInsertDirectory(tx, dir);
    t1 = performance.now();
    notifications = await insertAppointments(tx, dir, shape, day0, scope);
  });
  const t2 = performance.now();
  log(scope, 'ANALYZE…');
  await raw.query('ANALYZE');
  const [count] = (await raw.query<{ n: number }>('SELECT count(*)::int AS n FROM change_log'))
    .rows;
  return {
    dir,
    seed: {
      directorySeconds: (t1 - t0) / 1000,
      appointmentsSeconds: (t2 - t1) / 1000,
      appointments: shape.appointments,
      notifications,
      changeLogRows: count?.n ?? 0,
      triggers: 'fired (not bypassed)',
    },
  };
}

/** Seeds through `raw`, closes it whatever happens, and logs what it took. */
async function seedAndClose(raw: RawDb, shape: Shape, day0: number, scope: string) {
  let seeded;
  try {
    seeded = await seed(raw, shape, day0, scope);
  } finally {
    await raw.close();
  }
  log(
    scope,
    `seeded in ${(seeded.seed.directorySeconds + seeded.seed.appointmentsSeconds).toFixed(1)}s ` +
      `(${seeded.seed.changeLogRows} change_log rows)`,
  );
  return seeded;
}

/** PGlite in a fresh temporary directory, migrated and seeded. */
export async function preparePgliteCentral(shape: Shape, day0: number): Promise<CentralDb> {
  const scope = 'central db (PGlite)';
  const dataDir = makeTempDir('sync-central');
  const pgliteDir = join(dataDir, 'pglite');
  const t0 = performance.now();
  log(scope, `initdb + migrations in ${pgliteDir}…`);
  await (await openCentralStore(dataDir)).close();
  const migrateSeconds = (performance.now() - t0) / 1000;
  const open = async () => pgliteRaw(await PGlite.create({ dataDir: pgliteDir }));
  const raw = await open();
  const seeded = await seedAndClose(raw, shape, day0, scope);
  return {
    kind: 'pglite',
    label: 'PGlite',
    detail: `data directory ${pgliteDir}`,
    dataDir,
    dir: seeded.dir,
    seed: { migrateSeconds, ...seeded.seed },
    openRaw: open,
    dispose: () => {
      removeTempDir(dataDir);
      return Promise.resolve();
    },
  };
}

/**
 * A fresh database `clinic_bench_<pid>` on the server of `adminUrl` (any database URL on
 * it; the new database's URL is derived from it), migrated and seeded. It is dropped
 * WITH (FORCE) by dispose() or by the benchmark's cleanup, however it ends.
 */
export async function preparePostgresCentral(
  adminUrl: string,
  shape: Shape,
  day0: number,
): Promise<CentralDb> {
  const scope = 'central db (PostgreSQL)';
  // Digits only: safe in DDL, which takes no parameters.
  const name = `clinic_bench_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const r = await client.query<{ version?: string }>(sql);
      return r.rows;
    } finally {
      await client.end();
    }
  };
  const [version] = await admin("SELECT current_setting('server_version') AS version");
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() =>
      log(scope, `dropped database ${name}`),
    ));
  const dropNow = onCleanup(`drop database ${name}`, drop);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dataDir = makeTempDir('sync-central-pg');
  log(scope, `created database ${name} on ${url.host} (PostgreSQL ${version?.version ?? '?'})`);
  const t0 = performance.now();
  await (await openCentralStore(dataDir, databaseUrl)).close();
  const migrateSeconds = (performance.now() - t0) / 1000;
  const raw = await pgConnect(databaseUrl);
  const seeded = await seedAndClose(raw, shape, day0, scope);
  return {
    kind: 'postgres',
    label: `PostgreSQL ${(version?.version ?? '').split(' ')[0]}`.trim(),
    detail: `database ${name} on ${url.host}`,
    dataDir,
    databaseUrl,
    dir: seeded.dir,
    seed: { migrateSeconds, ...seeded.seed },
    openRaw: () => pgConnect(databaseUrl),
    dispose: async () => {
      removeTempDir(dataDir);
      await dropNow();
    },
  };
}
