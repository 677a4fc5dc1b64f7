/**
 * Sync with real processes (sync/SPEC.md section 7): central and two clinic nodes, each
 * node reaching central through a TCP proxy the test cuts and heals. The late-conflict
 * story end to end, and crashes in the middle of a push: a node killed with SIGKILL, and
 * central killed with SIGKILL. Nothing acknowledged is lost, nothing is duplicated, and
 * no false conflict appears.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  createCluster,
  enrollNode,
  seedRegion,
  waitUntil,
  type CentralServer,
  type EdgeServer,
  type Region,
} from '../support/cluster';

const HOUR = 3_600_000;
const cluster = createCluster();
let central: CentralServer;

beforeAll(async () => {
  central = await cluster.startCentral();
}, 60_000);
afterAll(() => cluster.stopAll());

function loginWhenSynced(edge: EdgeServer, region: Region): Promise<string> {
  return waitUntil(
    async () => {
      const res = await edge.api('POST', '/api/v1/auth/token/', {
        username: region.provider.username,
        password: region.provider.password,
      });
      return res.status === 200 ? (res.body.access as string) : undefined;
    },
    { timeoutMs: 60_000, message: 'the provider never arrived on the node' },
  );
}

function booking(region: Region, facility: 0 | 1, start: number, patient: 0 | 1 = facility) {
  return {
    patient: region.patients[patient].id,
    provider: region.provider.id,
    facility: region.facilities[facility].id,
    appointment_type: 'consultation',
    reason: 'Antenatal visit',
    start_time: new Date(start).toISOString(),
    end_time: new Date(start + HOUR / 4).toISOString(),
  };
}

async function startNode(region: Region, name: string, facility: 0 | 1) {
  const node = await enrollNode(central, { name, facilities: [region.facilities[facility].id] });
  const edge = await cluster.startEdge({ central, token: node.token });
  const token = await loginWhenSynced(edge, region);
  // Users arrive before patients: one full cycle more brings everything.
  expect((await edge.syncRun(token)).status).toBe(200);
  return { node, edge, token };
}

/** Every appointment of the region's provider on central: id -> status. */
async function centralBook(region: Region): Promise<Map<string, string>> {
  const token = await central.adminToken();
  const out = new Map<string, string>();
  for (let page = 1; ; page += 1) {
    const res = await central.api(
      'GET',
      `/api/v1/appointments/?provider=${region.provider.id}&page_size=100&page=${page}`,
      undefined,
      token,
    );
    if (res.status !== 200) break;
    for (const r of res.body.results as { id: string; status: string }[]) out.set(r.id, r.status);
    if (!res.body.next) break;
  }
  return out;
}

async function drained(edge: EdgeServer, token: string) {
  return waitUntil(
    async () => {
      const run = await edge.syncRun(token);
      const s = await edge.syncStatus(token);
      return run.status === 200 && s.body.pending_mutations === 0 ? s.body : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500, message: 'the node never drained its outbox' },
  );
}

describe('sync with real processes', () => {
  it('two clinics cut off book one provider: both kept, one conflict on both nodes, resolved everywhere, converged', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const a = await startNode(region, 'clinic A', 0);
    const b = await startNode(region, 'clinic B', 1);
    const start = Date.now() + 96 * HOUR;
    a.edge.proxy!.cut();
    b.edge.proxy!.cut();
    const ra = await a.edge.api(
      'POST',
      '/api/v1/appointments/',
      booking(region, 0, start),
      a.token,
    );
    const rb = await b.edge.api(
      'POST',
      '/api/v1/appointments/',
      booking(region, 1, start + HOUR / 8),
      b.token,
    );
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect((await a.edge.syncRun(a.token)).status).toBe(503);
    expect((await a.edge.syncStatus(a.token)).body.online).toBe(false);

    a.edge.proxy!.heal();
    b.edge.proxy!.heal();
    await drained(a.edge, a.token);
    await drained(b.edge, b.token);
    // The conflict reaches both nodes (the background sync, or a forced one).
    const conflictOn = (edge: EdgeServer, token: string) =>
      waitUntil(
        async () => {
          await edge.syncRun(token);
          const res = await edge.api('GET', '/api/v1/conflicts/?status=open', undefined, token);
          const found = (res.body?.results ?? []) as { id: string; appointments: string[] }[];
          return found.find((c) => c.appointments.includes(ra.body.id as string));
        },
        { timeoutMs: 30_000, message: 'the conflict never reached the node' },
      );
    const onA = await conflictOn(a.edge, a.token);
    const onB = await conflictOn(b.edge, b.token);
    expect(onA.id).toBe(onB.id);
    expect([...onA.appointments].sort()).toEqual([ra.body.id, rb.body.id].sort());
    const adminToken = await central.adminToken();
    const all = await central.api('GET', '/api/v1/conflicts/?page_size=100', undefined, adminToken);
    expect(
      (all.body.results as { appointments: string[] }[]).filter((c) =>
        c.appointments.includes(ra.body.id as string),
      ),
    ).toHaveLength(1);

    // An admin cancels one on central: resolved on central, then on both nodes.
    const cancel = await central.api(
      'POST',
      `/api/v1/appointments/${rb.body.id as string}/cancel/`,
      undefined,
      adminToken,
    );
    expect(cancel.status).toBe(200);
    for (const { edge, token } of [a, b]) {
      await waitUntil(
        async () => {
          await edge.syncRun(token);
          const c = await edge.api('GET', `/api/v1/conflicts/${onA.id}/`, undefined, token);
          return c.body?.status === 'resolved';
        },
        { timeoutMs: 30_000, message: 'the resolution never reached the node' },
      );
    }
    // Calendars converge: each node's view of the provider's bookings equals central's.
    const truth = await centralBook(region);
    for (const { edge, token } of [a, b]) {
      const res = await edge.api(
        'GET',
        `/api/v1/appointments/?provider=${region.provider.id}&page_size=100`,
        undefined,
        token,
      );
      const mine = new Map(
        (res.body.results as { id: string; status: string }[]).map((r) => [r.id, r.status]),
      );
      expect(mine).toEqual(truth);
    }
  });

  it('loses and duplicates nothing when the node, then central, is killed in the middle of a push', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const started = await startNode(region, 'clinic crash', 0);
    let edge: EdgeServer = started.edge;
    let token = started.token;
    const adminToken = await central.adminToken();
    const made: string[] = [];
    const book = async (count: number, offset: number) => {
      for (let i = 0; i < count; i += 1) {
        // Back to back, never overlapping: any conflict would be a false one.
        const start = Date.now() + 25 * HOUR + (offset + i) * (HOUR / 4);
        const res = await edge.api(
          'POST',
          '/api/v1/appointments/',
          booking(region, 0, start),
          token,
        );
        expect(res.status).toBe(201);
        made.push(res.body.id as string);
      }
    };
    // 1. Node killed while pushing a backlog of 500 mutations (three batches): each
    // booking is two, the appointment and the notifications it queued.
    const N = 250;
    edge.proxy!.cut();
    await book(N, 0);
    edge.proxy!.heal();
    const applied = async () => {
      const res = await central.api(
        'GET',
        `/api/v1/nodes/${started.node.id}/`,
        undefined,
        adminToken,
      );
      return res.status === 200 ? (res.body.last_applied_seq as number) : 0;
    };
    const atNodeKill = await waitUntil(
      async () => {
        const n = await applied();
        return n > 0 ? n : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, message: 'the push never started' },
    );
    await edge.kill();
    edge = await edge.restart();
    await drained(edge, token);

    // 2. Central killed while the node pushes the next backlog.
    edge.proxy!.cut();
    await book(N, N);
    edge.proxy!.heal();
    const before = await applied();
    const atCentralKill = await waitUntil(
      async () => {
        const n = await applied();
        return n > before ? n : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, message: 'the second push never started' },
    );
    await central.kill();
    central = await central.restart();
    token = await loginWhenSynced(edge, region);
    await drained(edge, token);

    // Both kills really hit a push in progress.
    expect(atNodeKill).toBeLessThan(2 * N);
    expect(atCentralKill).toBeLessThan(4 * N);
    const book2 = await centralBook(region);
    expect(book2.size).toBe(made.length);
    expect([...book2.keys()].sort()).toEqual([...made].sort());
    const conflicts = await central.api(
      'GET',
      '/api/v1/conflicts/?page_size=100',
      undefined,
      adminToken,
    );
    const falseFlags = (conflicts.body.results as { appointments: string[] }[]).filter((c) =>
      c.appointments.some((id) => made.includes(id)),
    );
    expect(falseFlags).toEqual([]);
    // Each booking's notifications reached central once: created and reminder, patient and
    // provider, email and SMS (keys are unique, so a duplicate could not hide).
    const mine = new Set(made);
    let queued = 0;
    for (let page = 1; ; page += 1) {
      const res = await central.api(
        'GET',
        `/api/v1/notifications/?page_size=100&page=${page}`,
        undefined,
        adminToken,
      );
      const rows = res.body.results as { appointment: string }[];
      queued += rows.filter((r) => mine.has(r.appointment)).length;
      if (!res.body.next) break;
    }
    expect(queued).toBe(8 * made.length);
  }, 90_000);
});
