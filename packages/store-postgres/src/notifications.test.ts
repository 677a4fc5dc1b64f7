/**
 * What the PostgreSQL notification queue decides on its own (the port's contract is in
 * tests/conformance): migration 0004 keeps the rows queued before it, the change log
 * carries every state of a row to the nodes except a claim, and the claim and the
 * dispatcher's wake-up query walk the partial index.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { CENTRAL_OWNER } from '@clinic/domain';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makeNotification,
  makePatient,
  makeUser,
} from '../../../tests/conformance/fixtures';
import type { Database, Executor } from './executor';
import { loadMigrations, migrate } from './migrate';
import { claimStatement, nextDueStatement } from './notifications';
import { pgliteDatabase } from './pglite-database';
import { createStore, type PgStore } from './store';

/** A migrated PGlite database for the groups that need no particular history. */
let db: Database;
let store: PgStore;

beforeAll(async () => {
  db = pgliteDatabase(await PGlite.create());
  await migrate(db);
  store = createStore(db);
});
afterAll(async () => {
  await db?.close();
});

/** A facility, provider and patient, and one appointment of theirs, inserted. */
async function seedAppointment(into: PgStore) {
  const facility = makeFacility();
  const provider = makeUser({ facilities: [facility.id] });
  const patient = makePatient();
  const appointment = makeAppointment({
    facility: facility.id,
    provider: provider.id,
    patient: patient.id,
  });
  await into.write(async (tx) => {
    await tx.insertFacility(facility);
    await tx.insertUser(provider);
    await tx.insertPatient(patient);
    await tx.insertAppointment(appointment);
  });
  return appointment;
}

describe('migration 0004', () => {
  let old: Database;
  afterAll(async () => {
    await old?.close();
  });

  it("keeps the notifications queued before it, as central's, due when queued", async () => {
    old = pgliteDatabase(await PGlite.create());
    const migrations = await loadMigrations();
    await migrate(
      old,
      migrations.filter((m) => m.version < 4),
    );
    const oldStore = createStore(old);
    const appointment = await seedAppointment(oldStore);
    const sent = makeNotification({ appointment_id: appointment.id });
    const pending = makeNotification({ appointment_id: appointment.id });
    await old.query(
      `INSERT INTO notifications (id, appointment_id, event, recipient, channel, address,
         dedupe_key, status, attempts, created_at, sent_at)
       VALUES ($1, $3, 'created', 'patient', 'email', 'a@example.org', $4, 'sent', 1,
               to_timestamp(100), to_timestamp(150)),
              ($2, $3, 'updated', 'provider', 'sms', '+254700000001', $5, 'pending', 0,
               to_timestamp(200), NULL)`,
      [sent.id, pending.id, appointment.id, sent.dedupe_key, pending.dedupe_key],
    );

    expect(await migrate(old)).toEqual(
      migrations.filter((m) => m.version >= 4).map((m) => m.version),
    );
    expect(await oldStore.getNotification(sent.id)).toEqual({
      id: sent.id,
      appointment_id: appointment.id,
      event: 'created',
      recipient: 'patient',
      channel: 'email',
      address: 'a@example.org',
      dedupe_key: sent.dedupe_key,
      status: 'sent',
      attempts: 1,
      created_at: 100_000,
      sent_at: 150_000,
      owner: CENTRAL_OWNER,
      next_attempt_at: 100_000,
      last_error: null,
      conflict_id: null,
      reminder_for: null,
      updated_at: 100_000,
    });
    expect(await oldStore.getNotification(pending.id)).toMatchObject({
      status: 'pending',
      owner: CENTRAL_OWNER,
      next_attempt_at: 200_000,
      updated_at: 200_000,
    });
    // The new value lists are in force.
    const conflict = makeNotification({
      appointment_id: appointment.id,
      event: 'conflict',
      recipient: 'admin',
      status: 'dropped',
    });
    expect(await oldStore.write((tx) => tx.enqueueNotifications([conflict]))).toEqual([conflict]);
    await expect(
      oldStore.write((tx) =>
        tx.enqueueNotifications([
          { ...makeNotification({ appointment_id: appointment.id }), status: 'lost' as 'sent' },
        ]),
      ),
    ).rejects.toThrow(/notifications_status_check/);
  });
});

describe('the change log of notifications', () => {
  async function logged(id: string): Promise<number> {
    const [row] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM change_log WHERE tbl = 'notifications' AND key = $1`,
      [id],
    );
    return row?.n ?? 0;
  }

  it('records every insert and update for the pull, except a claim', async () => {
    const appointment = await seedAppointment(store);
    const owner = `central-${makeFacility().id}`;
    const row = makeNotification({ appointment_id: appointment.id, owner });
    await store.write((tx) => tx.enqueueNotifications([row]));
    expect(await logged(row.id)).toBe(1);

    const [claimed] = await store.write((tx) =>
      tx.claimNotifications({ owner, channels: ['email'], now: FIXED_NOW, limit: 1 }),
    );
    expect(claimed?.status).toBe('sending');
    expect(await logged(row.id)).toBe(1);

    await store.write((tx) => tx.releaseNotificationClaims(owner, FIXED_NOW + 1));
    expect(await logged(row.id)).toBe(2);

    await store.write(async (tx) => {
      const [again] = await tx.claimNotifications({
        owner,
        channels: ['email'],
        now: FIXED_NOW + 1,
        limit: 1,
      });
      await tx.updateNotification({ ...again!, status: 'sent', sent_at: FIXED_NOW + 2 });
    });
    expect(await logged(row.id)).toBe(3);
  });
});

describe('query plans of the queue', () => {
  async function explain(text: string, values: unknown[]): Promise<string> {
    return db.transaction(async (tx: Executor) => {
      // A table this small tempts the planner into a sequential scan: the point here is
      // that the partial index is usable (the WHERE implies its predicate).
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it('claims and finds the next due row through notifications_claim', async () => {
    const appointment = await seedAppointment(store);
    await db.exec(`
      INSERT INTO notifications (id, appointment_id, event, recipient, channel, address,
        dedupe_key, status, attempts, created_at, sent_at, owner, next_attempt_at,
        last_error, conflict_id, reminder_for, updated_at)
      SELECT gen_random_uuid(), '${appointment.id}', 'created', 'patient',
             CASE WHEN g % 2 = 0 THEN 'email' ELSE 'sms' END, 'a@example.org',
             'plan-' || g, CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'sent' END, 0,
             now(), NULL, 'owner-' || (g % 3), now() + g * interval '1 minute', NULL, NULL,
             NULL, now()
        FROM generate_series(1, 5000) g;
      ANALYZE notifications;`);
    const claim = claimStatement({
      owner: 'owner-1',
      channels: ['email', 'sms'],
      now: FIXED_NOW,
      limit: 10,
    });
    const claimPlan = await explain(claim.text, claim.values);
    expect(claimPlan, claimPlan).toMatch(/Index Scan using notifications_claim on notifications d/);
    expect(claimPlan, claimPlan).toMatch(/LockRows/);
    expect(claimPlan, claimPlan).not.toMatch(/Seq Scan/);

    const next = nextDueStatement('owner-1', ['sms']);
    const nextPlan = await explain(next.text, next.values);
    expect(nextPlan, nextPlan).toMatch(/Index Scan using notifications_claim on notifications n/);
    expect(nextPlan, nextPlan).not.toMatch(/Sort|Seq Scan/);
  });
});
