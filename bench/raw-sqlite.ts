/**
 * Raw baseline for the edge: better-sqlite3 directly, no HTTP, no framework, no
 * adapter. A fresh file with the edge schema (the migration files of
 * packages/store-sqlite/src/migrations applied as they are), WAL + synchronous=FULL +
 * foreign_keys like the adapter's connections, the same directory and appointments on
 * file (inserted with plain SQL), then one booking per transaction:
 *
 *   BEGIN IMMEDIATE; read patient, provider, facility; the bounded overlap query (the
 *   adapter's own OVERLAP_SQL, imported); the domain checks (validateTimes,
 *   validateReferences, findConflicts); insert the appointment; insert its 4 notification
 *   rows; COMMIT.
 *
 * The reads mirror packages/store-sqlite/src/{patient,user,facility}-queries.ts; the
 * INSERTs are built from the tables' columns as the database reports them.
 */
import type { OverlapRow } from '@clinic/core';
import {
  createUuidV7Generator,
  findConflicts,
  hasConflicts,
  hasErrors,
  MAX_DURATION_MS,
  validateReferences,
  validateTimes,
  type Facility,
  type FieldErrors,
  type Patient,
  type User,
} from '@clinic/domain';
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { bookingRow } from './lib/booking-row';
import { makeTempDir, removeTempDir } from './lib/cleanup';
import {
  BookingPlan,
  bookingNotifications,
  buildDirectoryRows,
  seededAppointment,
  type Directory,
  type Shape,
} from './lib/dataset';
import { log, progress } from './lib/log';
import { runRawLoop, type RawResult } from './lib/raw-loop';
import { summarize, type LatencySummary } from './lib/stats';
// The adapter's overlap query itself, so the baseline runs exactly its SQL.
import { loadMigrations } from '../packages/store-sqlite/src/migrate';
import { OVERLAP_SQL, overlapParams } from '../packages/store-sqlite/src/overlap-query';

const NODE_ID = 'raw-sqlite-bench';
const SCOPE = 'raw sqlite';

/** The reads of a booking, as in patient-/user-/facility-queries.ts of the adapter. */
const SQL = {
  getPatient: 'SELECT * FROM patients WHERE id = @id',
  getFacility: 'SELECT * FROM facilities WHERE id = @id',
  getUser: `
    SELECT u.id, u.username, u.password_hash, u.role, u.user_type, u.first_name, u.last_name,
           u.email, u.phone_number, u.is_active, u.origin_node, u.version, u.created_at,
           u.updated_at,
           (SELECT json_group_array(uf.facility_id ORDER BY uf.facility_id)
              FROM user_facilities AS uf
             WHERE uf.user_id = u.id) AS facilities
      FROM users AS u WHERE u.id = @id`,
  /** The adapter's own overlap query, verbatim. */
  overlap: OVERLAP_SQL,
};

type Row = Record<string, unknown>;

/**
 * `INSERT INTO table (every column) VALUES (@every column)`, the columns read from the
 * database (PRAGMA table_info), so it follows the migrations. better-sqlite3 refuses a
 * row that lacks a named parameter, so a new column shows up as an error, not a NULL.
 */
function insertSql(db: Database.Database, table: string, suffix = ''): string {
  const columns = db
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => c.name);
  if (columns.length === 0) throw new Error(`no table "${table}"`);
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) ` +
    `VALUES (${columns.map((c) => `@${c}`).join(', ')}) ${suffix}`
  );
}

/** SQLite has no booleans: 0/1, as the adapter stores them. */
const sqlBool = <T extends { is_active: boolean }>(row: T) => ({
  ...row,
  is_active: row.is_active ? 1 : 0,
});
const fromSqlBool = (row: Row) => ({ ...row, is_active: row.is_active === 1 });

function applyMigrations(db: Database.Database): string[] {
  const migrations = loadMigrations();
  for (const m of migrations) db.exec(m.sql);
  return migrations.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);
}

function seed(db: Database.Database, dir: Directory, shape: Shape, day0: number) {
  const ids = createUuidV7Generator({ now: () => Date.now() });
  const now = Date.now();
  const st = {
    facility: db.prepare(insertSql(db, 'facilities')),
    user: db.prepare(insertSql(db, 'users')),
    link: db.prepare(insertSql(db, 'user_facilities')),
    patient: db.prepare(insertSql(db, 'patients')),
    appointment: db.prepare(insertSql(db, 'appointments')),
    notification: db.prepare(insertSql(db, 'notifications')),
  };
  const report = progress(SCOPE, 'appointments (plain SQL)', shape.appointments);
  db.transaction(() => {
    for (const f of dir.facilities) st.facility.run(sqlBool(f));
    for (const u of dir.providers) {
      const { facilities, ...row } = u;
      st.user.run(sqlBool(row));
      for (const facility_id of facilities) st.link.run({ user_id: u.id, facility_id });
    }
    for (const p of dir.patients) st.patient.run(sqlBool(p));
    for (let k = 0; k < shape.appointments; k += 1) {
      const s = seededAppointment(k, dir, shape, day0, ids, now, NODE_ID);
      st.appointment.run(s.appointment);
      for (const n of s.notifications) st.notification.run(n);
      if ((k + 1) % 5000 === 0 || k + 1 === shape.appointments) report(k + 1);
    }
  }).immediate();
}

/**
 * How fast the disk commits: a trivial transaction (one tiny row) at synchronous=FULL,
 * for `ms`. Every booking pays at least this, so it puts the other numbers in context.
 */
function probeFsync(db: Database.Database, ms: number) {
  db.exec('CREATE TABLE bench_fsync_probe (n INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO bench_fsync_probe (n) VALUES (?)');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const latencies: number[] = [];
  const end = performance.now() + ms;
  for (let now = performance.now(); now < end;) {
    const t = now;
    begin.run();
    insert.run(latencies.length);
    commit.run();
    now = performance.now();
    latencies.push(now - t);
  }
  db.exec('DROP TABLE bench_fsync_probe');
  return { commitsPerSec: latencies.length / (ms / 1000), latency: summarize(latencies) };
}

export interface RawSqliteResult extends RawResult {
  fsyncProbe: { commitsPerSec: number; latency: LatencySummary };
  seedSeconds: number;
  migrations: string[];
  /** EXPLAIN QUERY PLAN of the overlap query (each branch should use its index). */
  overlapPlan: string[];
  dbBytes: number;
}

export async function benchRawSqlite(
  shape: Shape,
  day0: number,
  warmupMs: number,
  measureMs: number,
): Promise<RawSqliteResult> {
  const tmp = makeTempDir('raw-sqlite');
  const file = join(tmp, 'raw.db');
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const migrations = applyMigrations(db);

    const t0 = performance.now();
    const ids = createUuidV7Generator({ now: () => Date.now() });
    const dir = buildDirectoryRows(shape, ids, Date.now(), NODE_ID, 'scrypt$raw-bench');
    seed(db, dir, shape, day0);
    db.pragma('optimize');
    const seedSeconds = (performance.now() - t0) / 1000;
    log(SCOPE, `seeded in ${seedSeconds.toFixed(1)}s`);

    const st = {
      patient: db.prepare<[Row], Row>(SQL.getPatient),
      user: db.prepare<[Row], Row>(SQL.getUser),
      facility: db.prepare<[Row], Row>(SQL.getFacility),
      overlap: db.prepare<[Row], Row>(SQL.overlap),
      appointment: db.prepare(insertSql(db, 'appointments')),
      notification: db.prepare(
        insertSql(db, 'notifications', 'ON CONFLICT (dedupe_key) DO NOTHING'),
      ),
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
    const overlapPlan = db
      .prepare<[Row], { detail: string }>(`EXPLAIN QUERY PLAN ${SQL.overlap}`)
      .all(
        overlapParams({
          provider: '',
          patient: '',
          facility: '',
          start_time: 0,
          end_time: 0,
          maxDurationMs: MAX_DURATION_MS,
        }),
      )
      .map((r) => r.detail);

    const plan = new BookingPlan(dir, shape, day0);
    const book = () => {
      const b = plan.nextRoundRobin();
      st.begin.run();
      try {
        const patientRow = st.patient.get({ id: b.patient });
        const userRow = st.user.get({ id: b.provider });
        const facilityRow = st.facility.get({ id: b.facility });
        const patient = patientRow && (fromSqlBool(patientRow) as unknown as Patient);
        const provider =
          userRow &&
          ({
            ...fromSqlBool(userRow),
            facilities: JSON.parse(userRow.facilities as string) as string[],
          } as unknown as User);
        const facility = facilityRow && (fromSqlBool(facilityRow) as unknown as Facility);
        const now = Date.now();
        const errors: FieldErrors = {};
        validateTimes(b, { now, requireFuture: true }, errors);
        validateReferences({ ...b, patient, provider, facility }, errors);
        if (hasErrors(errors) || !patient || !provider || !facility) {
          throw new Error(`invalid booking: ${JSON.stringify(errors)}`);
        }
        const candidates = st.overlap.all(
          overlapParams({ ...b, maxDurationMs: MAX_DURATION_MS }),
        ) as unknown as OverlapRow[];
        if (hasConflicts(findConflicts(b, candidates, facility.capacity))) {
          throw new Error('conflict');
        }
        const row = bookingRow(b, ids, now, NODE_ID);
        st.appointment.run(row);
        for (const n of bookingNotifications(ids, now, row, patient, provider)) {
          st.notification.run(n);
        }
        st.commit.run();
      } catch (err) {
        if (db.inTransaction) st.rollback.run();
        throw err;
      }
    };
    log(SCOPE, `${warmupMs / 1000}s warm-up + ${measureMs / 1000}s measured, one connection`);
    const result = await runRawLoop(book, warmupMs, measureMs);
    log(SCOPE, `${result.transactions} transactions (${result.errors} errors)`);
    log(SCOPE, `transactions per second (warm-up first): ${result.perSecond.join(' ')}`);
    const dbBytes = statSync(file).size;
    const fsyncProbe = probeFsync(db, 1000);
    log(SCOPE, `disk probe: ${fsyncProbe.commitsPerSec.toFixed(0)} trivial commits/s`);
    return { ...result, seedSeconds, migrations, overlapPlan, dbBytes, fsyncProbe };
  } finally {
    db.close();
    removeTempDir(tmp);
  }
}
