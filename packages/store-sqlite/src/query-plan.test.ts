/**
 * The overlap query must be three index range scans, never a table scan: checked with
 * EXPLAIN QUERY PLAN on an empty database and on one with data and fresh statistics.
 * So must the notification queue's queries (the claim runs on the booking node's only
 * writer, every few seconds).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  HOUR_MS,
  MAX_DURATION_MS,
  MINUTE_MS,
  type Appointment,
  type Notification,
} from '@clinic/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makeNotification,
  makePatient,
  makeUser,
} from '../../../tests/conformance/fixtures';
import { makeTempDir, type TempDir } from '../../../tests/support/tmp-dir';
import {
  claimStatement,
  LIST_SENT,
  listPageSql,
  nextDueStatement,
  PENDING_REMINDERS,
  RELEASE,
} from './notification-queries';
import { openSqliteStore } from './open';
import { OVERLAP_SQL, overlapParams } from './overlap-query';
import type { NamedParams } from './statement-cache';

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

function planOf(file: string, sql: string, params: NamedParams): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[NamedParams], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(params)
      .map((r) => r.detail);
  } finally {
    db.close();
  }
}

/** No full scan of notifications (a scan of the claim's own subquery result is fine). */
function expectNoTableScan(plan: string[]): void {
  expect(plan.filter((line) => /^SCAN notifications\b/.test(line))).toEqual([]);
}

describe('notification queue query plans', () => {
  const OWNER = 'node-plan';

  async function notificationsFile(name: string, withData: boolean): Promise<string> {
    const file = join(dir.path, name);
    const store = openSqliteStore({ file });
    if (withData) {
      const facility = makeFacility();
      const provider = makeUser();
      const patient = makePatient();
      const appointments = Array.from({ length: 500 }, (_, i) =>
        makeAppointment({
          facility: facility.id,
          provider: provider.id,
          patient: patient.id,
          start_time: FIXED_NOW + i * HOUR_MS,
          end_time: FIXED_NOW + i * HOUR_MS + HOUR_MS / 2,
        }),
      );
      // 4 per appointment: mostly sent, some pending of two owners, a few failed.
      const statuses = ['sent', 'sent', 'sent', 'pending', 'failed'] as const;
      const notifications: Notification[] = appointments.flatMap((a, i) =>
        Array.from({ length: 4 }, (_, k) => {
          const status = statuses[(i + k) % statuses.length] ?? 'sent';
          return makeNotification({
            appointment_id: a.id,
            channel: k % 2 === 0 ? 'email' : 'sms',
            status,
            owner: k < 2 ? OWNER : 'central',
            next_attempt_at: FIXED_NOW + i * MINUTE_MS,
            sent_at: status === 'sent' ? FIXED_NOW : null,
          });
        }),
      );
      await store.write(async (tx) => {
        await tx.insertFacility(facility);
        await tx.insertUser(provider);
        await tx.insertPatient(patient);
        for (const a of appointments) await tx.insertAppointment(a);
        await tx.enqueueNotifications(notifications);
      });
    }
    await store.close();
    if (withData) {
      const db = new Database(file);
      db.exec('ANALYZE');
      db.close();
    }
    return file;
  }

  for (const withData of [false, true]) {
    it(`uses the indexes ${withData ? 'with data and statistics' : 'on an empty database'}`, async () => {
      const file = await notificationsFile(`queue-${String(withData)}.db`, withData);
      const claim = claimStatement({
        owner: OWNER,
        channels: ['email', 'sms'],
        now: FIXED_NOW,
        limit: 10,
      });
      const claimPlan = planOf(file, claim.sql, claim.params);
      expect(claimPlan.join('\n')).toMatch(
        /SEARCH notifications USING (COVERING )?INDEX notifications_claim \(owner=\? AND next_attempt_at<\?\)/,
      );
      expect(claimPlan.join('\n')).not.toMatch(/TEMP B-TREE/);
      expectNoTableScan(claimPlan);

      const next = nextDueStatement(OWNER, ['sms']);
      const nextPlan = planOf(file, next.sql, next.params);
      expect(nextPlan.join('\n')).toMatch(
        /SEARCH notifications USING INDEX notifications_claim \(owner=\?\)/,
      );
      expect(nextPlan.join('\n')).not.toMatch(/TEMP B-TREE/);

      const release = planOf(file, RELEASE, { owner: OWNER, now: FIXED_NOW });
      expect(release.join('\n')).toMatch(/USING INDEX notifications_sending \(owner=\?\)/);

      const byStatus = listPageSql({ status: 'failed', limit: 10, offset: 0 });
      const statusPlan = planOf(file, byStatus.text.rows, {
        ...byStatus.params,
        limit: 10,
        offset: 0,
      });
      // The dead letter has a partial index of its own (a booking's rows never enter it).
      expect(statusPlan.join('\n')).toMatch(/USING INDEX notifications_failed/);
      expect(statusPlan.join('\n')).not.toMatch(/TEMP B-TREE/);

      const byAppointment = listPageSql({ appointment: 'a', limit: 10, offset: 0 });
      const appointmentPlan = planOf(file, byAppointment.text.rows, {
        ...byAppointment.params,
        limit: 10,
        offset: 0,
      });
      expect(appointmentPlan.join('\n')).toMatch(
        /USING INDEX notifications_appointment_created \(appointment_id=\?\)/,
      );

      const both = listPageSql({ appointment: 'a', status: 'sent', limit: 10, offset: 0 });
      const bothPlan = planOf(file, both.text.rows, { ...both.params, limit: 10, offset: 0 });
      const reminders = planOf(file, PENDING_REMINDERS, { appointment_id: 'a' });
      const sent = planOf(file, LIST_SENT, { appointment_id: 'a' });
      for (const plan of [bothPlan, reminders, sent]) {
        expect(plan.join('\n')).toMatch(
          /USING INDEX notifications_appointment_created \(appointment_id=\?\)/,
        );
        expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
      }
      // (statusPlan walks the dead letter's partial index: it holds only failed rows.)
      for (const plan of [nextPlan, release, appointmentPlan, bothPlan, reminders]) {
        expectNoTableScan(plan);
      }
    });
  }
});
