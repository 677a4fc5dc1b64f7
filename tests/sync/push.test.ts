/**
 * Central's push endpoint and reconciler, driven with raw protocol requests over HTTP:
 * idempotent replays, reordered batches, scope, late conflicts (one per pair and kind,
 * self-resolving), the merge rule, revocation and the previous protocol version.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/postgres';
import {
  appointmentRow,
  changeMutation,
  createMutation,
  enrollRaw,
  rawPush,
  type RawNode,
} from './raw-push';
import { HOUR, login, PASSWORD, startWorld, type Json, type SyncWorld } from './sync-harness';

let world: SyncWorld;

/** The reconciler on PGlite, and on the PostgreSQL server when one is configured. */
const pgUrl = testDatabaseUrl('sync push');
const backends = pgUrl ? (['pglite', 'postgres'] as const) : (['pglite'] as const);

// The raw-push builders, bound to this file's world (the seq helpers are shared as they are).
const enroll = (name: string, facilities: string[]) => enrollRaw(world, facilities, name);
const appointment = (facility: string, patient: string, start: number, extra: Json = {}) =>
  appointmentRow(world, facility, patient, start, extra);
const create = (node: RawNode, row: Json) => createMutation(node, row);
const change = changeMutation;
const push = (node: RawNode, mutations: Json[], version = 2) =>
  rawPush(world, node, mutations, { version });

const T0 = Date.now() + 48 * HOUR;

async function conflictsOf(id: string) {
  const all: Json[] = [];
  for (let page = 1; ; page += 1) {
    const res = await world.c.call(
      'GET',
      `/api/v1/conflicts/?page_size=100&page=${page}`,
      undefined,
      world.adminToken,
    );
    all.push(...(res.body.results as Json[]));
    if (!res.body.next) break;
  }
  return all.filter((c) => c.appointments.includes(id));
}

describe.each(backends)('push to central on %s', (backend) => {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    if (backend === 'postgres') db = await createTestDatabase(pgUrl!);
    world = await startWorld(db ? { databaseUrl: db.url } : {});
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await db?.drop();
  });

  it('accepts two offline bookings of one provider, records ONE conflict, and replays change nothing', async () => {
    const [f1, f2] = world.region.facilities;
    const [p1, p2] = world.region.patients;
    const a = await enroll('clinic A', [f1.id]);
    const b = await enroll('clinic B', [f2.id]);
    const ra = appointment(f1.id, p1.id, T0);
    const rb = appointment(f2.id, p2.id, T0 + HOUR / 2);
    const ma = create(a, ra);
    const mb = create(b, rb);

    const first = await push(a, [ma]);
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([expect.objectContaining({ seq: 1, outcome: 'applied' })]);
    expect(first.body.central_keys.keys.length).toBeGreaterThan(0);
    const second = await push(b, [mb]);
    expect(second.body.results[0].outcome).toBe('applied_with_conflict');
    expect(second.body.results[0].conflicts).toHaveLength(1);

    // Replays (a lost answer, a crash before the ack): the same answers, nothing new.
    const replayA = await push(a, [ma]);
    const replayB = await push(b, [mb]);
    expect(replayA.body.results[0]).toEqual(first.body.results[0]);
    expect(replayB.body.results[0]).toEqual(second.body.results[0]);
    const found = await conflictsOf(ra.id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'provider', status: 'open' });
    expect([...found[0].appointments].sort()).toEqual([ra.id, rb.id].sort());

    // check-conflicts of either appointment reports it, and the detail lists it.
    const check = await world.c.call(
      'POST',
      `/api/v1/appointments/${ra.id}/check-conflicts/`,
      undefined,
      world.adminToken,
    );
    expect(check.body.has_conflicts).toBe(true);
    expect(check.body.late_conflicts).toEqual([expect.objectContaining({ kind: 'provider' })]);
    const detail = await world.c.call(
      'GET',
      `/api/v1/appointments/${rb.id}/`,
      undefined,
      world.adminToken,
    );
    expect(detail.body.conflicts).toEqual([
      expect.objectContaining({ kind: 'provider', status: 'open' }),
    ]);

    // An admin on central cancels one: the conflict resolves itself.
    const cancel = await world.c.call(
      'POST',
      `/api/v1/appointments/${rb.id}/cancel/`,
      undefined,
      world.adminToken,
    );
    expect(cancel.status).toBe(200);
    const after = await conflictsOf(ra.id);
    expect(after[0]).toMatchObject({ status: 'resolved' });
    expect(after[0].resolution).toMatch(/^auto: /);
    const settled = await world.c.call(
      'GET',
      `/api/v1/appointments/${ra.id}/`,
      undefined,
      world.adminToken,
    );
    expect(settled.body.conflicts).toEqual([]);
    // Resolving a conflict that already resolved itself is refused.
    const again = await world.c.call(
      'POST',
      `/api/v1/conflicts/${after[0].id as string}/resolve/`,
      { resolution: 'checked' },
      world.adminToken,
    );
    expect(again.status).toBe(400);

    // Nodes see it in the list.
    const nodes = await world.c.call('GET', '/api/v1/nodes/', undefined, world.adminToken);
    const listed = (nodes.body.results as Json[]).find((n) => n.id === a.id);
    expect(listed).toMatchObject({ last_applied_seq: 1, protocol_version: 2, backlog: 0 });
    expect(listed.last_push_at).not.toBeNull();
    expect(listed).not.toHaveProperty('token');
  });

  it('flags every overlap when two nodes push at the same moment', async () => {
    const [f1, f2] = world.region.facilities;
    const [p1, p2] = world.region.patients;
    const a = await enroll('clinic race A', [f1.id]);
    const b = await enroll('clinic race B', [f2.id]);
    const pairs = Array.from({ length: 20 }, (_, i) => {
      const start = T0 + 500 * HOUR + i * 2 * HOUR;
      return [appointment(f1.id, p1.id, start), appointment(f2.id, p2.id, start + HOUR / 4)];
    });
    const batchA = pairs.map(([x]) => create(a, x));
    const batchB = pairs.map(([, y]) => create(b, y));
    const [ra, rb] = await Promise.all([push(a, batchA), push(b, batchB)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    for (const [x, y] of pairs) {
      const found = (await conflictsOf(x!.id)).filter((c) => c.kind === 'provider');
      expect(found.map((c) => [...c.appointments].sort())).toEqual([[x!.id, y!.id].sort()]);
    }
  });

  it('takes gzip batches, refuses a broken one, and books past an account central lacks', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic gzip', [f1.id]);
    // Booked by a node-local account: central keeps the booking, without that reference.
    const row = appointment(f1.id, p1.id, T0 + 60 * HOUR, { created_by: randomUUID() });
    const body = gzipSync(
      JSON.stringify({
        protocol_version: 2,
        node_id: a.id,
        backlog: 0,
        mutations: [create(a, row)],
      }),
    );
    const send = (payload: Buffer) =>
      fetch(`${world.c.url}/sync/v2/push`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${a.token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body: payload,
      });
    const res = await send(body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Json;
    expect(answer.results[0]).toMatchObject({ outcome: 'applied' });
    expect(answer.results[0].row.created_by).toBeNull();
    expect((await send(Buffer.from('not gzip at all'))).status).toBe(400);
  });

  it('applies a batch once when two copies of it race (a retry while the first is in flight)', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic retry', [f1.id]);
    const rows = Array.from({ length: 10 }, (_, i) =>
      appointment(f1.id, p1.id, T0 + 900 * HOUR + i * 2 * HOUR),
    );
    const batch = rows.map((r) => create(a, r));
    const [one, two] = await Promise.all([push(a, batch), push(a, batch)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    // Every mutation got one answer, the same in both copies where both answered it.
    for (const res of [one, two]) {
      for (const r of res.body.results as Json[]) {
        expect(['applied', 'deferred']).toContain(r.outcome);
      }
    }
    const again = await push(a, batch);
    expect(again.body.results.map((r: Json) => r.outcome)).toEqual(rows.map(() => 'applied'));
    expect(again.body.last_applied_seq).toBe(10);
    for (const r of rows) {
      const got = await world.c.call(
        'GET',
        `/api/v1/appointments/${r.id}/`,
        undefined,
        world.adminToken,
      );
      expect(got.status).toBe(200);
    }
    const listed = await world.c.call(
      'GET',
      `/api/v1/appointments/?patient=${p1.id}&page_size=100`,
      undefined,
      world.adminToken,
    );
    const ids = (listed.body.results as Json[]).map((r) => r.id as string);
    expect(ids.filter((id) => rows.some((r) => r.id === id))).toHaveLength(10);
  });

  it('defers a batch that arrives out of order, then applies it in sequence', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic reorder', [f1.id]);
    const m1 = create(a, appointment(f1.id, p1.id, T0 + 10 * HOUR));
    const m2 = create(a, appointment(f1.id, p1.id, T0 + 12 * HOUR));
    const early = await push(a, [m2]);
    expect(early.body.results).toEqual([{ seq: 2, outcome: 'deferred' }]);
    expect(early.body.last_applied_seq).toBe(0);
    const both = await push(a, [m2, m1]);
    expect(both.body.results.map((r: Json) => [r.seq, r.outcome])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
    ]);
    expect(both.body.last_applied_seq).toBe(2);
  });

  it('rejects what is outside the node scope or invalid, and answers replays of it the same way', async () => {
    const [f1, f2] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic scope', [f1.id]);
    const outside = create(a, appointment(f2.id, p1.id, T0 + 20 * HOUR));
    const res = await push(a, [outside]);
    expect(res.body.results[0]).toMatchObject({
      outcome: 'rejected',
      code: 'out_of_scope',
      row: null,
    });
    expect((await push(a, [outside])).body.results[0]).toEqual(res.body.results[0]);
    // An invalid booking (no such patient) is rejected, and the next mutation still applies.
    const bad = create(a, appointment(f1.id, randomUUID(), T0 + 22 * HOUR));
    const good = create(a, appointment(f1.id, p1.id, T0 + 24 * HOUR));
    const both = await push(a, [bad, good]);
    expect(both.body.results[0]).toMatchObject({ outcome: 'rejected', code: 'validation' });
    expect(both.body.results[0].message).toMatch(/patient/i);
    expect(both.body.results[1].outcome).toBe('applied');
    // A booking in the past is accepted at sync: the clinic made it when it was future.
    const past = create(a, appointment(f1.id, p1.id, Date.now() - 30 * 24 * HOUR));
    expect((await push(a, [past])).body.results[0].outcome).toBe('applied');
  });

  it('merges a completed visit at the clinic with a cancellation on central: completed wins, the cancellation is kept', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic merge', [f1.id]);
    const row = appointment(f1.id, p1.id, T0 + 30 * HOUR);
    const made = create(a, row);
    expect((await push(a, [made])).body.results[0].outcome).toBe('applied');
    // Central cancels (a regional admin) while the clinic, offline, completes the visit.
    const cancel = await world.c.call(
      'POST',
      `/api/v1/appointments/${row.id}/cancel/`,
      undefined,
      world.adminToken,
    );
    expect(cancel.status).toBe(200);
    const completed = change(a, { ...row, status: 'completed' }, ['status'], made.args.clocks);
    const res = await push(a, [completed]);
    expect(res.body.results[0].outcome).toBe('applied_with_conflict');
    expect(res.body.results[0].row.status).toBe('completed');
    const detail = await world.c.call(
      'GET',
      `/api/v1/appointments/${row.id}/`,
      undefined,
      world.adminToken,
    );
    expect(detail.body.status).toBe('completed');
    const kept = (await conflictsOf(row.id)).find((c) => c.kind === 'edit');
    expect(kept.details).toMatchObject({
      register: 'status',
      losing_value: { status: 'cancelled' },
    });
  });

  it('keeps a deletion against a stale edit from another node', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic del A', [f1.id]);
    const b = await enroll('clinic del B', [f1.id]);
    const row = appointment(f1.id, p1.id, T0 + 40 * HOUR);
    const made = create(a, row);
    await push(a, [made]);
    const deleted = change(
      a,
      { ...row, status: 'cancelled', deleted_at: Date.now() },
      ['status', 'deleted'],
      made.args.clocks,
    );
    expect((await push(a, [deleted])).body.results[0].outcome).toBe('applied');
    // Node B edits its stale copy (it never saw the deletion).
    b.seq = 0;
    const stale = change(b, { ...row, reason: 'follow-up' }, ['details'], made.args.clocks);
    const res = await push(b, [stale]);
    expect(res.body.results[0].row.deleted_at).not.toBeNull();
    const gone = await world.c.call(
      'GET',
      `/api/v1/appointments/${row.id}/`,
      undefined,
      world.adminToken,
    );
    expect(gone.status).toBe(404);
  });

  it('refuses a revoked node, a foreign node id and a malformed batch; serves protocol version 1', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const a = await enroll('clinic v1', [f1.id]);
    const v1 = await push(a, [create(a, appointment(f1.id, p1.id, T0 + 50 * HOUR))], 1);
    expect(v1.status).toBe(200);
    expect(v1.body.protocol_version).toBe(1);
    expect(v1.body.results[0]).not.toHaveProperty('row');
    expect(v1.body.results[0].outcome).toBe('applied');

    const bad = await world.c.call(
      'POST',
      '/sync/v2/push',
      { protocol_version: 2, node_id: a.id, backlog: 0, mutations: [{ seq: 0 }] },
      a.token,
    );
    expect(bad.status).toBe(400);
    const foreign = await world.c.call(
      'POST',
      '/sync/v2/push',
      { protocol_version: 2, node_id: randomUUID(), backlog: 0, mutations: [] },
      a.token,
    );
    expect(foreign.status).toBe(403);
    const wrong = await world.c.call('GET', '/sync/v2/enrollment', undefined, `${a.token}x`);
    expect(wrong.status).toBe(401);

    expect(
      (await world.c.call('DELETE', `/api/v1/nodes/${a.id}/`, undefined, world.adminToken)).status,
    ).toBe(204);
    expect((await push(a, [])).status).toBe(401);
    // Pulls too: the shape server checks the token itself.
    const pull = await world.c.call(
      'GET',
      '/sync/v2/shape?table=facilities&offset=-1',
      undefined,
      a.token,
    );
    expect(pull.status).toBe(401);
    expect((await world.c.call('GET', '/sync/v2/enrollment', undefined, a.token)).status).toBe(401);
    // Only admins manage nodes.
    const providerToken = await login(world.c, world.region.provider.username, PASSWORD);
    expect((await world.c.call('GET', '/api/v1/nodes/', undefined, providerToken)).status).toBe(
      403,
    );
  });
});
