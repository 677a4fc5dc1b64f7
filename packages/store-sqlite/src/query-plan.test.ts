/**
 * The overlap query must be three index range scans, never a table scan: checked with
 * EXPLAIN QUERY PLAN on an empty database and on one with data and fresh statistics.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HOUR_MS, MAX_DURATION_MS, type Appointment } from '@clinic/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makePatient,
  makeUser,
} from '../../../tests/conformance/fixtures';
import { makeTempDir, type TempDir } from '../../../tests/support/tmp-dir';
import { openSqliteStore } from './open';
import { OVERLAP_SQL, overlapParams } from './overlap-query';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('clinic-plan');
});
afterAll(async () => {
  await dir.cleanup();
});

const QUERY = {
  start_time: FIXED_NOW + 48 * HOUR_MS,
  end_time: FIXED_NOW + 49 * HOUR_MS,
  provider: 'p',
  patient: 'q',
  facility: 'f',
  maxDurationMs: MAX_DURATION_MS,
};

function overlapPlan(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare<[object], { detail: string }>(`EXPLAIN QUERY PLAN ${OVERLAP_SQL}`)
      .all(overlapParams(QUERY));
    return rows.map((r) => r.detail);
  } finally {
    db.close();
  }
}

function expectIndexRangeScans(plan: string[]): void {
  for (const dimension of ['provider', 'patient', 'facility']) {
    expect(plan).toContain(
      `SEARCH a USING INDEX appointments_${dimension}_start ` +
        `(${dimension}=? AND start_time>? AND start_time<?)`,
    );
  }
  expect(plan.filter((line) => line.startsWith('SCAN'))).toEqual([]);
}

describe('overlap query plan', () => {
  it('uses the three composite indexes on an empty database', async () => {
    const file = join(dir.path, 'empty.db');
    await openSqliteStore({ file }).close();
    expectIndexRangeScans(overlapPlan(file));
  });

  it('still uses them with realistic data and planner statistics', async () => {
    const file = join(dir.path, 'full.db');
    const store = openSqliteStore({ file });
    // 3 facilities, 20 providers, 300 patients, 3,000 appointments over 60 days.
    const facilities = Array.from({ length: 3 }, () => makeFacility());
    const providers = Array.from({ length: 20 }, () => makeUser());
    const patients = Array.from({ length: 300 }, () => makePatient());
    const nth = <T>(rows: T[], i: number): T => rows[i % rows.length] as T;
    const appointments: Appointment[] = Array.from({ length: 3000 }, (_, i) => {
      const start = FIXED_NOW + Math.floor(i / 50) * 24 * HOUR_MS + (i % 50) * HOUR_MS;
      return makeAppointment({
        facility: nth(facilities, i).id,
        provider: nth(providers, i).id,
        patient: nth(patients, i).id,
        start_time: start,
        end_time: start + HOUR_MS / 2,
        status: i % 7 === 0 ? 'cancelled' : 'scheduled',
      });
    });
    await store.write(async (tx) => {
      for (const f of facilities) await tx.insertFacility(f);
      for (const u of providers) await tx.insertUser(u);
      for (const p of patients) await tx.insertPatient(p);
      for (const a of appointments) await tx.insertAppointment(a);
    });
    await store.close();
    const db = new Database(file);
    db.exec('ANALYZE');
    db.close();

    expectIndexRangeScans(overlapPlan(file));
  });
});
