/**
 * Raw baseline for central: one PGlite instance on a fresh data directory (on disk, as
 * central uses it), the migration files of packages/store-postgres/src/migrations applied
 * as they are, the same directory and appointments on file (bulk SQL), then one booking
 * per transaction through PGlite's own `transaction()` (what the adapter uses):
 *
 *   read patient, provider, facility (the adapter's column lists); the bounded overlap
 *   query (the adapter's own OVERLAP_SQL, imported); the domain checks; insert the
 *   appointment; insert its 4 notification rows (one multi-row INSERT, as the adapter
 *   does); COMMIT.
 *
 * Not included: the adapter's 3 pg_advisory_xact_lock statements per booking (the
 * issue's baseline leaves the locks out; SQLite needs none).
 */
import {
  createUuidV7Generator,
  findConflicts,
  hasConflicts,
  hasErrors,
  MAX_DURATION_MS,
  validateReferences,
  validateTimes,
  type FieldErrors,
} from '@clinic/domain';
import { PGlite } from '@electric-sql/pglite';
import { join } from 'node:path';
import { bookingRow } from './lib/booking-row';
import { makeTempDir, removeTempDir } from './lib/cleanup';
import { BookingPlan, bookingNotifications, buildDirectoryRows, type Shape } from './lib/dataset';
import { log } from './lib/log';
import { pgInsertDirectory, pgInsertStatement, pgSeedAppointments } from './lib/pg-bulk';
import { runRawLoop, type RawResult } from './lib/raw-loop';
// The adapter's own column lists, row mappers and overlap query, so the baseline runs
// exactly its SQL.
import {
  FACILITY_COLUMNS,
  PATIENT_COLUMNS,
  USER_COLUMNS,
  toFacility,
  toOverlapRow,
  toPatient,
  toUser,
} from '../packages/store-postgres/src/columns';
import { loadMigrations } from '@clinic/store-postgres';
import { OVERLAP_SQL, overlapParams } from '../packages/store-postgres/src/overlap-query';

type Row = Record<string, unknown>;

const NODE_ID = 'raw-pglite-bench';
const SCOPE = 'raw pglite';

/** The reads of a booking, as in packages/store-postgres/src/reads.ts. */
const SQL = {
  getPatient: `SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = $1`,
  getUser: `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`,
  getFacility: `SELECT ${FACILITY_COLUMNS} FROM facilities f WHERE f.id = $1`,
  /** The adapter's own overlap query, verbatim. */
  overlap: OVERLAP_SQL,
};

async function applyMigrations(pg: PGlite): Promise<string[]> {
  const migrations = await loadMigrations();
  for (const m of migrations) {
    await pg.transaction(async (tx) => {
      await tx.exec(m.sql);
    });
  }
  return migrations.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);
}

export interface RawPgliteResult extends RawResult {
  initSeconds: number;
  seedSeconds: number;
  migrations: string[];
  /** EXPLAIN of the overlap query for a benchmark booking. */
  overlapPlan: string[];
}

export async function benchRawPglite(
  shape: Shape,
  day0: number,
  warmupMs: number,
  measureMs: number,
): Promise<RawPgliteResult> {
  const tmp = makeTempDir('raw-pglite');
  const t0 = performance.now();
  log(SCOPE, 'creating a PGlite cluster on disk (initdb)…');
  const pg = await PGlite.create({ dataDir: join(tmp, 'pglite') });
  try {
    const migrations = await applyMigrations(pg);
    const initSeconds = (performance.now() - t0) / 1000;
    log(SCOPE, `cluster created and migrated in ${initSeconds.toFixed(1)}s`);

    const t1 = performance.now();
    const ids = createUuidV7Generator({ now: () => Date.now() });
    const dir = buildDirectoryRows(shape, ids, Date.now(), NODE_ID, 'scrypt$raw-bench');
    await pg.transaction(async (tx) => pgInsertDirectory(tx, dir));
    await pgSeedAppointments(pg, dir, shape, day0, NODE_ID, SCOPE);
    const seedSeconds = (performance.now() - t1) / 1000;
    log(SCOPE, `seeded in ${seedSeconds.toFixed(1)}s`);

    const plan = new BookingPlan(dir, shape, day0);
    const explain = await pg.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN ${SQL.overlap}`,
      overlapParams({
        ...new BookingPlan(dir, shape, day0).next(0),
        maxDurationMs: MAX_DURATION_MS,
      }),
    );
    const overlapPlan = explain.rows.map((r) => r['QUERY PLAN']);
    const insertAppointment = await pgInsertStatement(pg, 'appointments', 1);
    const insertNotifications = new Map<number, Awaited<ReturnType<typeof pgInsertStatement>>>();
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) {
      insertNotifications.set(
        n,
        await pgInsertStatement(pg, 'notifications', n, 'ON CONFLICT (dedupe_key) DO NOTHING'),
      );
    }

    const book = async () => {
      const b = plan.nextRoundRobin();
      await pg.transaction(async (tx) => {
        const first = async <T>(sql: string, id: string, map: (r: Row) => T) => {
          const { rows } = await tx.query<Row>(sql, [id]);
          return rows[0] === undefined ? undefined : map(rows[0]);
        };
        const patient = await first(SQL.getPatient, b.patient, toPatient);
        const provider = await first(SQL.getUser, b.provider, toUser);
        const facility = await first(SQL.getFacility, b.facility, toFacility);
        const now = Date.now();
        const errors: FieldErrors = {};
        validateTimes(b, { now, requireFuture: true }, errors);
        validateReferences({ ...b, patient, provider, facility }, errors);
        if (hasErrors(errors) || !patient || !provider || !facility) {
          throw new Error(`invalid booking: ${JSON.stringify(errors)}`);
        }
        const candidates = await tx.query<Row>(
          SQL.overlap,
          overlapParams({ ...b, maxDurationMs: MAX_DURATION_MS }),
        );
        const overlapping = candidates.rows.map(toOverlapRow);
        if (hasConflicts(findConflicts(b, overlapping, facility.capacity))) {
          throw new Error('conflict');
        }
        const row = bookingRow(b, ids, now, NODE_ID);
        await tx.query(insertAppointment.sql, insertAppointment.values([row]));
        const notes = bookingNotifications(ids, now, row, patient, provider);
        const insert = insertNotifications.get(notes.length);
        if (insert) await tx.query(insert.sql, insert.values(notes));
      });
    };
    log(SCOPE, `${warmupMs / 1000}s warm-up + ${measureMs / 1000}s measured, one connection`);
    const result = await runRawLoop(book, warmupMs, measureMs);
    log(SCOPE, `${result.transactions} transactions (${result.errors} errors)`);
    log(SCOPE, `transactions per second (warm-up first): ${result.perSecond.join(' ')}`);
    return { ...result, initSeconds, seedSeconds, migrations, overlapPlan };
  } finally {
    await pg.close();
    removeTempDir(tmp);
  }
}
