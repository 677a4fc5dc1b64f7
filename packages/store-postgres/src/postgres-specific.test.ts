/**
 * What only the PostgreSQL adapter has to prove: migrations are idempotent (and safe
 * to run concurrently against one server), the overlap query is three composite-index
 * range scans, and advisory locks serialize transactions on a pooled server, which is
 * what makes 50 concurrent bookings of one slot accept exactly one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MAX_DURATION_MS, MINUTE_MS } from '@clinic/domain';
import { slotLockKeys, type Store } from '@clinic/core';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makePatient,
  makeUser,
} from '../../../tests/conformance/fixtures';
import {
  createTestDatabase,
  openTestPostgresStore,
  testDatabaseUrl,
  type TestDatabase,
} from '../../../tests/support/postgres';
import type { Database, Executor } from './executor';
import { loadMigrations, migrate } from './migrate';
import { OVERLAP_SQL, overlapParams } from './overlap-query';
import { pgDatabase } from './pg-database';
import { pgliteDatabase } from './pglite-database';
import { openPgliteStore } from './open';

const adminUrl = testDatabaseUrl('store-postgres specific');

/** Seeds `perProvider` appointments for each of `providers` providers at one facility. */
async function seedAppointments(db: Database, providers: number, perProvider: number) {
  const facility = makeFacility({ capacity: 100 });
  const patient = makePatient();
  const users = Array.from({ length: providers }, () => makeUser());
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO facilities SELECT $1, 'F', 'UTC', 100, true, 'n', 1, now(), now()`,
      [facility.id],
    );
    await tx.query(
      `INSERT INTO patients SELECT $1, $2, 'A', 'B', '', '', NULL, true, 'n', 1, now(), now()`,
      [patient.id, patient.patient_id],
    );
    for (const u of users) {
      await tx.query(
        `INSERT INTO users SELECT $1, $2, 'x', 'provider', 'doctor', 'A', 'B', '', '', true,
                'n', 1, now(), now()`,
        [u.id, u.username],
      );
      // One appointment an hour, spread over the past and the future.
      await tx.query(
        `INSERT INTO appointments
         SELECT gen_random_uuid(), $2, $1, $3, 'consultation', '', 'scheduled',
                to_timestamp(0) + g * interval '1 hour',
                to_timestamp(0) + g * interval '1 hour' + interval '30 minutes',
                NULL, NULL, 'n', 1, now(), now()
           FROM generate_series(1, $4::int) g`,
        [u.id, patient.id, facility.id, perProvider],
      );
    }
    await tx.exec('ANALYZE');
  });
  return { facility, patient, provider: users[0]! };
}

/** The plan of the overlap query (sequential scans disabled, as a table this small tempts). */
async function overlapPlan(db: Database, slot: Awaited<ReturnType<typeof seedAppointments>>) {
  return db.transaction(async (tx: Executor) => {
    await tx.query('SET LOCAL enable_seqscan = off');
    const start = 500 * 3_600_000;
    const rows = await tx.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN ${OVERLAP_SQL}`,
      overlapParams({
        start_time: start,
        end_time: start + 30 * MINUTE_MS,
        provider: slot.provider.id,
        patient: slot.patient.id,
        facility: slot.facility.id,
        maxDurationMs: MAX_DURATION_MS,
      }),
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

function expectIndexRangeScans(plan: string) {
  for (const index of [
    'appointments_provider_start',
    'appointments_patient_start',
    'appointments_facility_start',
  ]) {
    expect(plan, plan).toMatch(
      new RegExp(`(Index Scan using|Index Only Scan using|Bitmap Index Scan on) ${index} `),
    );
  }
  expect(plan, plan).not.toMatch(/Seq Scan on appointments/);
}

/**
 * A callback that swallows a failed statement leaves the transaction aborted; COMMIT
 * then rolls back, and that must surface as an error, never as a silent success.
 */
async function expectAbortedCommitToThrow(db: Database) {
  const id = makeFacility().id;
  const insert = (tx: Executor) =>
    tx.query(`INSERT INTO meta (key, value) VALUES ($1, 'v')`, [`abort-${id}`]);
  const outcome = db.transaction(async (tx) => {
    await insert(tx);
    await insert(tx).catch(() => undefined); // duplicate key: the transaction is now aborted
    return 'returned normally';
  });
  await expect(outcome).rejects.toThrow(/roll/i);
  expect(await db.query('SELECT 1 FROM meta WHERE key = $1', [`abort-${id}`])).toEqual([]);
}

describe('store-postgres on PGlite', () => {
  let pglite: PGlite;
  let db: Database;

  beforeAll(async () => {
    pglite = await PGlite.create();
    db = pgliteDatabase(pglite);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('applies migrations once; a second run applies nothing', async () => {
    const files = await loadMigrations();
    expect(files.map((m) => m.version)).toEqual(files.map((_, i) => i + 1));
    expect(await migrate(db)).toEqual(files.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual(files.map((m) => ({ version: m.version, name: m.name })));
  });

  it('throws when COMMIT rolls back an aborted transaction', async () => {
    await expectAbortedCommitToThrow(db);
  });

  it('takes transaction-scoped advisory locks on hashtextextended keys', async () => {
    const locks = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['provider:x']);
      return tx.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
    });
    expect(locks).toEqual([{ n: 1 }]);
    const after = await db.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`,
    );
    expect(after).toEqual([{ n: 0 }]);
  });

  it('plans the overlap query as composite-index range scans', async () => {
    const slot = await seedAppointments(db, 20, 1000);
    expectIndexRangeScans(await overlapPlan(db, slot));
  });
});

describe('openPgliteStore with a data directory', () => {
  it('persists across reopening and does not migrate twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinic-pglite-'));
    try {
      const first = await openPgliteStore({ dataDir: dir });
      await first.setMeta('node_id', 'central-1');
      await first.close();
      const again = await openPgliteStore({ dataDir: dir });
      expect(again.kind).toBe('pglite');
      expect(await again.getMeta('node_id')).toBe('central-1');
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(adminUrl === undefined)('store-postgres on a PostgreSQL server', () => {
  const url = adminUrl ?? '';
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase(url);
    db = pgDatabase({ connectionString: database.url, poolSize: 8 });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('applies migrations exactly once under concurrent migrators', async () => {
    const files = await loadMigrations();
    const runs = await Promise.all(Array.from({ length: 6 }, () => migrate(db)));
    // Every version was applied by exactly one of the migrators.
    expect(runs.flat().sort()).toEqual(files.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(row?.n).toBe(files.length);
  });

  it('plans the overlap query as composite-index range scans', async () => {
    const slot = await seedAppointments(db, 20, 1000);
    expectIndexRangeScans(await overlapPlan(db, slot));
  });

  it('throws when COMMIT rolls back an aborted transaction', async () => {
    await expectAbortedCommitToThrow(db);
  });

  it('survives a connection killed inside a transaction, and discards it', async () => {
    let killed!: () => void;
    const wasKilled = new Promise<void>((resolve) => (killed = resolve));
    const outcome = db.transaction(async (tx) => {
      const [me] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await db.query('SELECT pg_terminate_backend($1)', [me?.pid]);
      await wasKilled;
      return tx.query('SELECT 1');
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the 'error' event fires
    killed();
    await expect(outcome).rejects.toThrow();
    // Every pooled connection still works.
    await Promise.all(Array.from({ length: 16 }, () => db.query('SELECT 1')));
  });

  it('serializes two transactions that lock the same key until the first commits', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const lock = (tx: Executor, key: string) =>
      tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);

    const first = db.transaction(async (tx) => {
      await lock(tx, 'provider:p1');
      events.push('first locked');
      firstLocked();
      await firstHolds;
      events.push('first commits');
    });
    await locked;
    const second = db.transaction(async (tx) => {
      await lock(tx, 'provider:p1');
      events.push('second locked');
    });
    const other = db.transaction(async (tx) => {
      await lock(tx, 'provider:p2'); // another key: not blocked
      events.push('other key locked');
    });
    await other;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual(['first locked', 'other key locked']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(events).toEqual(['first locked', 'other key locked', 'first commits', 'second locked']);
  });
});

describe.skipIf(adminUrl === undefined)('50 concurrent bookings of one slot (server)', () => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ store, dispose } = await openTestPostgresStore(adminUrl ?? '', { poolSize: 10 }));
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('accepts exactly one', async () => {
    const facility = makeFacility({ capacity: 100 });
    const provider = makeUser({ facilities: [facility.id] });
    const patients = Array.from({ length: 50 }, () => makePatient());
    await store.write(async (tx) => {
      await tx.insertFacility(facility);
      await tx.insertUser(provider);
      for (const p of patients) await tx.insertPatient(p);
    });
    const start = FIXED_NOW + 48 * 3_600_000;
    const outcomes = await Promise.all(
      patients.map((patient) =>
        store.write(async (tx) => {
          const slot = { provider: provider.id, patient: patient.id, facility: facility.id };
          await tx.lock(slotLockKeys(slot));
          const clash = await tx.findActiveOverlapping({
            ...slot,
            start_time: start,
            end_time: start + 30 * MINUTE_MS,
            maxDurationMs: MAX_DURATION_MS,
          });
          if (clash.some((a) => a.provider === provider.id)) return 'rejected';
          await tx.insertAppointment(
            makeAppointment({ ...slot, start_time: start, end_time: start + 30 * MINUTE_MS }),
          );
          return 'accepted';
        }),
      ),
    );
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(1);
    const page = await store.listAppointments({
      limit: 100,
      offset: 0,
      provider: provider.id,
      ordering: 'start_time',
    });
    expect(page.count).toBe(1);
  });
});
