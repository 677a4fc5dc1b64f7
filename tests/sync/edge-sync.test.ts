/**
 * Clinic nodes and central syncing in-process over real HTTP, each node behind its own
 * TCP proxy that the test cuts and heals: the late-conflict story end to end, the
 * truthfulness of sync/status, central tokens on a node, rejections shown on the node,
 * and convergence of every node's calendar to central's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/postgres';
import {
  HOUR,
  PASSWORD,
  login,
  startWorld,
  type Http,
  type Json,
  type SyncNode,
  type SyncWorld,
} from './sync-harness';

let world: SyncWorld;
let a: SyncNode;
let b: SyncNode;
let tokenA: string;
let tokenB: string;

async function loginWhenSynced(node: SyncNode): Promise<string> {
  for (let i = 0; ; i += 1) {
    try {
      return await login(node.e, world.region.provider.username, PASSWORD);
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A provider token issued by CENTRAL: nodes verify it offline with central's keys. */
async function centralToken(): Promise<string> {
  return login(world.c, world.region.provider.username, PASSWORD);
}

const run = (node: SyncNode, token: string) =>
  node.e.call('POST', '/api/v1/sync/run/', undefined, token);
const status = async (node: SyncNode, token: string) =>
  (await node.e.call('GET', '/api/v1/sync/status/', undefined, token)).body as Json;

function booking(facility: string, patient: string, start: number) {
  return {
    patient,
    provider: world.region.provider.id,
    facility,
    appointment_type: 'consultation',
    reason: 'Fever',
    start_time: new Date(start).toISOString(),
    end_time: new Date(start + HOUR).toISOString(),
  };
}

async function calendar(h: Http, token: string): Promise<Json[]> {
  const res = await h.call(
    'GET',
    `/api/v1/appointments/?provider=${world.region.provider.id}&page_size=100`,
    undefined,
    token,
  );
  expect(res.status).toBe(200);
  return (res.body.results as Json[])
    .map((r) => ({
      id: r.id,
      status: r.status,
      start: r.start_time,
      end: r.end_time,
      reason: r.reason,
    }))
    .sort((x, y) => String(x.id).localeCompare(String(y.id)));
}

/** Central on PGlite, and on the PostgreSQL server when one is configured. */
const pgUrl = testDatabaseUrl('sync edge');
const backends = pgUrl ? (['pglite', 'postgres'] as const) : (['pglite'] as const);

describe.each(backends)('sync between clinic nodes and central on %s', (backend) => {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    if (backend === 'postgres') db = await createTestDatabase(pgUrl!);
    world = await startWorld(db ? { databaseUrl: db.url } : {});
    const [f1, f2] = world.region.facilities;
    a = await world.startNode('clinic A', [f1.id]);
    b = await world.startNode('clinic B', [f2.id]);
    // The first cycle (on start) brings the staff: log in on each node once it has.
    tokenA = await loginWhenSynced(a);
    tokenB = await loginWhenSynced(b);
    // Users arrive before patients: one full cycle more brings everything.
    expect((await run(a, tokenA)).status).toBe(200);
    expect((await run(b, tokenB)).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await world?.close();
    await db?.drop();
  });

  it('keeps two offline bookings of one provider, flags one conflict everywhere, resolves it everywhere, and converges', async () => {
    const [f1, f2] = world.region.facilities;
    const [p1, p2] = world.region.patients;
    const start = Date.now() + 72 * HOUR;
    a.proxy.cut();
    b.proxy.cut();
    const ba = await a.e.call(
      'POST',
      '/api/v1/appointments/',
      booking(f1.id, p1.id, start),
      tokenA,
    );
    const bb = await b.e.call(
      'POST',
      '/api/v1/appointments/',
      booking(f2.id, p2.id, start + HOUR / 2),
      tokenB,
    );
    expect(ba.status).toBe(201);
    expect(bb.status).toBe(201);

    // Offline: the run fails with 503 and the status says so, truthfully.
    const offline = await run(a, tokenA);
    expect(offline.status).toBe(503);
    const s1 = await status(a, tokenA);
    // The booking and the notifications it queued (relayed: this node has no transport).
    expect(s1).toMatchObject({ online: false, pending_mutations: 2 });
    expect(s1.last_error).toMatch(/push failed/);

    a.proxy.heal();
    b.proxy.heal();
    const healed = await run(a, tokenA);
    expect(healed.status, JSON.stringify(healed.body)).toBe(200);
    expect((await run(b, tokenB)).status).toBe(200);
    expect((await run(a, tokenA)).status).toBe(200);
    const s2 = await status(a, tokenA);
    expect(s2).toMatchObject({ online: true, pending_mutations: 0, last_error: null });
    expect(s2.last_success_at).not.toBeNull();

    // Central: both bookings kept, one provider conflict.
    const adminToken = world.adminToken;
    const open = await world.c.call('GET', '/api/v1/conflicts/?status=open', undefined, adminToken);
    const ours = (open.body.results as Json[]).filter((c) => c.appointments.includes(ba.body.id));
    expect(ours).toHaveLength(1);
    expect(ours[0].kind).toBe('provider');
    expect([...ours[0].appointments].sort()).toEqual([ba.body.id, bb.body.id].sort());
    // ...visible on both nodes, and in each appointment's detail there.
    for (const [node, token] of [
      [a, tokenA],
      [b, tokenB],
    ] as const) {
      const list = await node.e.call('GET', '/api/v1/conflicts/?status=open', undefined, token);
      expect((list.body.results as Json[]).map((c) => c.id)).toContain(ours[0].id);
      expect((await status(node, token)).open_conflicts).toBeGreaterThanOrEqual(1);
    }
    const detailOnA = await a.e.call(
      'GET',
      `/api/v1/appointments/${ba.body.id}/`,
      undefined,
      tokenA,
    );
    expect(detailOnA.body.conflicts.map((c: Json) => c.id)).toContain(ours[0].id);
    expect(detailOnA.body.sync).toEqual({ state: 'synced', code: null, message: null });

    // An admin on central cancels one: resolved on central and, after sync, on both nodes.
    expect(
      (
        await world.c.call(
          'POST',
          `/api/v1/appointments/${bb.body.id}/cancel/`,
          undefined,
          adminToken,
        )
      ).status,
    ).toBe(200);
    await run(a, tokenA);
    await run(b, tokenB);
    for (const [node, token] of [
      [a, tokenA],
      [b, tokenB],
    ] as const) {
      const c = await node.e.call(
        'GET',
        `/api/v1/conflicts/${ours[0].id as string}/`,
        undefined,
        token,
      );
      expect(c.body.status).toBe('resolved');
    }
    // Every calendar equals central's.
    const truth = await calendar(world.c, adminToken);
    expect(truth.map((r) => r.id)).toEqual(expect.arrayContaining([ba.body.id, bb.body.id]));
    expect(await calendar(a.e, tokenA)).toEqual(truth);
    expect(await calendar(b.e, tokenB)).toEqual(truth);
  });

  it('accepts central-issued tokens on a node, and shows a rejected change on the node', async () => {
    const token = await centralToken();
    const listed = await a.e.call('GET', '/api/v1/appointments/', undefined, token);
    expect(listed.status).toBe(200);

    // Node A books at a facility outside its scope: accepted locally, rejected by central.
    const [, f2] = world.region.facilities;
    const [p1] = world.region.patients;
    const made = await a.e.call(
      'POST',
      '/api/v1/appointments/',
      booking(f2.id, p1.id, Date.now() + 200 * HOUR),
      tokenA,
    );
    expect(made.status).toBe(201);
    expect((await run(a, tokenA)).status).toBe(200);
    const s = await status(a, tokenA);
    expect(s.pending_mutations).toBe(0);
    expect(s.rejected).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entity_id: made.body.id, code: 'out_of_scope' }),
      ]),
    );
    // Never silently dropped: the row is still on the node, marked with central's answer.
    const marked = await a.e.call(
      'GET',
      `/api/v1/appointments/${made.body.id}/`,
      undefined,
      tokenA,
    );
    expect(marked.body.sync).toMatchObject({ state: 'rejected', code: 'out_of_scope' });
    expect(made.body.sync).toMatchObject({ state: 'pending' });
    expect(
      (await a.e.call('GET', `/api/v1/appointments/${made.body.id}/`, undefined, tokenA)).status,
    ).toBe(200);
    expect(
      (
        await world.c.call(
          'GET',
          `/api/v1/appointments/${made.body.id}/`,
          undefined,
          world.adminToken,
        )
      ).status,
    ).toBe(404);
  });

  it('merges edits of different fields made on a node and on central while apart', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const start = Date.now() + 300 * HOUR;
    const made = await a.e.call(
      'POST',
      '/api/v1/appointments/',
      booking(f1.id, p1.id, start),
      tokenA,
    );
    expect((await run(a, tokenA)).status).toBe(200);
    a.proxy.cut();
    // The clinic reschedules; central changes the reason.
    const moved = await a.e.call(
      'PATCH',
      `/api/v1/appointments/${made.body.id}/`,
      {
        start_time: new Date(start + 2 * HOUR).toISOString(),
        end_time: new Date(start + 3 * HOUR).toISOString(),
      },
      tokenA,
    );
    expect(moved.status).toBe(200);
    const edited = await world.c.call(
      'PATCH',
      `/api/v1/appointments/${made.body.id}/`,
      { reason: 'Follow-up of fever' },
      world.adminToken,
    );
    expect(edited.status).toBe(200);
    a.proxy.heal();
    expect((await run(a, tokenA)).status).toBe(200);
    for (const [h, token] of [
      [a.e, tokenA],
      [world.c, world.adminToken],
    ] as const) {
      const r = await h.call('GET', `/api/v1/appointments/${made.body.id}/`, undefined, token);
      expect(r.body.reason).toBe('Follow-up of fever');
      expect(Date.parse(r.body.start_time)).toBe(start + 2 * HOUR);
    }
  });
});
