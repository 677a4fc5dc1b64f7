/**
 * A seeded randomized simulation of clinic nodes and central (sync/SPEC.md section 7):
 * nodes with skewed clocks book, reschedule, cancel and complete appointments of one
 * shared provider while links are cut and healed, syncs run at random, and nodes stop in
 * the middle of a cycle and restart. After everything heals and syncs, it checks: no
 * acknowledged write lost, no duplicate, every real overlap flagged exactly once, no
 * false flag, and every node's calendar equal to central's.
 *
 * Reproduce a failure with SIM_SEED=<the printed seed>.
 */
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  HOUR,
  PASSWORD,
  login,
  startWorld,
  type Json,
  type SyncNode,
  type SyncWorld,
} from './sync-harness';

const SEED = Number(process.env.SIM_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STEPS = Number(process.env.SIM_STEPS ?? 120);

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let t = seed >>> 0;
  const next = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  };
}

let world: SyncWorld | undefined;

/** Logs the provider in on a node once the node's first pull has brought the account. */
async function loginWhenSynced(node: SyncNode): Promise<string> {
  const { username } = world!.region.provider;
  for (let i = 0; ; i += 1) {
    try {
      return await login(node.e, username, PASSWORD);
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
afterAll(async () => {
  await world?.close();
});

interface SimNode {
  node: SyncNode;
  token: string;
  facility: 0 | 1;
  skewMs: number;
  up: boolean;
}

describe('randomized sync simulation', () => {
  it(`converges with no loss, no duplicate and exact conflicts (seed ${SEED})`, async () => {
    onTestFailed(() => console.log(`simulation failed: reproduce with SIM_SEED=${SEED}`));
    const rnd = prng(SEED);
    world = await startWorld();
    const w = world;
    const { facilities, patients, provider } = w.region;
    const nodes: SimNode[] = [];
    for (let i = 0; i < 4; i += 1) {
      const facility = (i % 2) as 0 | 1;
      const skewMs = (rnd.int(13) - 6) * HOUR;
      const clock = { now: () => Date.now() + skewMs };
      const node = await w.startNode(`sim ${i}`, [facilities[facility].id], { clock });
      const token = await loginWhenSynced(node);
      // Users arrive before patients: one full cycle more brings everything.
      expect((await node.e.call('POST', '/api/v1/sync/run/', undefined, token)).status).toBe(200);
      nodes.push({ node, token, facility, skewMs, up: true });
    }
    // A small grid of half-hour slots two days ahead, so that offline bookings collide.
    const base = Math.ceil((Date.now() + 48 * HOUR) / HOUR) * HOUR;
    const slot = () => base + rnd.int(12) * (HOUR / 2);
    const created = new Set<string>();

    const api = (n: SimNode, method: string, path: string, body?: unknown) =>
      n.node.e.call(method, path, body, n.token);

    for (let step = 0; step < STEPS; step += 1) {
      const n = rnd.pick(nodes);
      const roll = rnd.next();
      if (!n.up) {
        n.node = await w.restartNode(n.node, { clock: { now: () => Date.now() + n.skewMs } });
        n.up = true;
        continue;
      }
      if (roll < 0.35) {
        const start = slot();
        const res = await api(n, 'POST', '/api/v1/appointments/', {
          patient: patients[rnd.int(2)]!.id,
          provider: provider.id,
          facility: facilities[n.facility].id,
          appointment_type: 'consultation',
          reason: `sim ${step}`,
          start_time: new Date(start).toISOString(),
          end_time: new Date(start + HOUR / 2).toISOString(),
        });
        if (res.status === 201) created.add(res.body.id as string);
        else expect(res.status).toBe(400); // a local conflict: refused on the spot
      } else if (roll < 0.6) {
        const list = await api(
          n,
          'GET',
          `/api/v1/appointments/?status=scheduled&facility=${facilities[n.facility].id}&page_size=100`,
        );
        const rows = list.body.results as Json[];
        if (rows.length > 0) {
          const target = rnd.pick(rows);
          const action = rnd.pick(['cancel', 'complete', 'reschedule', 'reason'] as const);
          if (action === 'reschedule') {
            const start = slot();
            const res = await api(n, 'PATCH', `/api/v1/appointments/${target.id as string}/`, {
              start_time: new Date(start).toISOString(),
              end_time: new Date(start + HOUR / 2).toISOString(),
            });
            expect([200, 400]).toContain(res.status);
          } else if (action === 'reason') {
            const res = await api(n, 'PATCH', `/api/v1/appointments/${target.id as string}/`, {
              reason: `edited ${step}`,
            });
            expect(res.status).toBe(200);
          } else {
            const res = await api(
              n,
              'POST',
              `/api/v1/appointments/${target.id as string}/${action}/`,
            );
            expect(res.status).toBe(200);
          }
        }
      } else if (roll < 0.75) {
        if (n.node.proxy.isCut) n.node.proxy.heal();
        else n.node.proxy.cut();
      } else if (roll < 0.95) {
        const res = await api(n, 'POST', '/api/v1/sync/run/');
        expect(n.node.proxy.isCut ? [503] : [200, 503]).toContain(res.status);
      } else {
        // Stop in the middle of a sync cycle, as a power cut would interrupt it.
        const running = api(n, 'POST', '/api/v1/sync/run/').catch(() => undefined);
        await new Promise((r) => setTimeout(r, rnd.int(30)));
        await n.node.edge.stop();
        await running;
        n.up = false;
      }
    }

    // Heal everything and sync until quiet.
    for (const n of nodes) {
      if (!n.up) {
        n.node = await w.restartNode(n.node, { clock: { now: () => Date.now() + n.skewMs } });
        n.up = true;
      }
      n.node.proxy.heal();
    }
    for (let round = 0; round < 3; round += 1) {
      for (const n of nodes) expect((await api(n, 'POST', '/api/v1/sync/run/')).status).toBe(200);
    }
    const rejected = new Set<string>();
    for (const n of nodes) {
      const s = (await api(n, 'GET', '/api/v1/sync/status/')).body as Json;
      expect(s.pending_mutations).toBe(0);
      for (const r of s.rejected as Json[]) rejected.add(r.entity_id as string);
    }

    // Central's book: every created appointment exactly once (none lost, none made up).
    const adminToken = w.adminToken;
    const central = (
      await w.c.call(
        'GET',
        `/api/v1/appointments/?provider=${provider.id}&page_size=100`,
        undefined,
        adminToken,
      )
    ).body.results as Json[];
    const deletedOrAll = central.map((r) => r.id as string);
    expect(new Set(deletedOrAll).size).toBe(deletedOrAll.length);
    const expected = [...created].filter((id) => !rejected.has(id)).sort();
    expect([...deletedOrAll].sort()).toEqual(expected);

    // Exactly the real overlaps are open conflicts, once each.
    const active = central.filter((r) => r.status === 'scheduled' || r.status === 'no_show');
    const realPairs = new Set<string>();
    for (let i = 0; i < active.length; i += 1) {
      for (let j = i + 1; j < active.length; j += 1) {
        const x = active[i];
        const y = active[j];
        const overlap =
          Date.parse(x.start_time) < Date.parse(y.end_time) &&
          Date.parse(y.start_time) < Date.parse(x.end_time);
        if (!overlap) continue;
        const pair = [x.id, y.id].sort().join(':');
        realPairs.add(`provider:${pair}`);
        if (x.patient === y.patient) realPairs.add(`patient:${pair}`);
        if (x.facility === y.facility) realPairs.add(`facility:${pair}`);
      }
    }
    const open = (
      await w.c.call('GET', '/api/v1/conflicts/?status=open&page_size=100', undefined, adminToken)
    ).body.results as Json[];
    const flagged = open
      .filter((c) => c.kind !== 'edit')
      .map((c) => `${c.kind as string}:${[...(c.appointments as string[])].sort().join(':')}`);
    expect(new Set(flagged).size).toBe(flagged.length);
    expect(new Set(flagged)).toEqual(realPairs);

    // Every node's calendar equals central's (rows it rejected exist only on that node).
    const view = (rows: Json[]) =>
      rows
        .filter((r) => !rejected.has(r.id as string))
        .map(
          (r) =>
            `${r.id as string} ${r.status as string} ${r.start_time as string} ${r.reason as string}`,
        )
        .sort();
    for (const n of nodes) {
      const mine = (
        await api(n, 'GET', `/api/v1/appointments/?provider=${provider.id}&page_size=100`)
      ).body.results as Json[];
      expect(view(mine)).toEqual(view(central));
    }
    console.log(
      `simulation seed ${SEED}: ${STEPS} steps, ${created.size} bookings, ${open.length} open conflicts, ${rejected.size} rejected`,
    );
  }, 240_000);
});
