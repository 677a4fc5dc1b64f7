/**
 * Smoke test of sync with real processes: central, and a clinic node enrolled on it that
 * reaches it through a TCP proxy. The node must learn its users from central (the
 * provider can then log in on the node) and report itself online; with the link cut, a
 * forced sync fails with 503 and the node reports itself offline, until the link heals.
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
  type SyncStatus,
} from '../support/cluster';

const cluster = createCluster();
let central: CentralServer;

beforeAll(async () => {
  central = await cluster.startCentral();
});
afterAll(() => cluster.stopAll());

/** Polls a login on the node until the provider's account has arrived from central. */
function loginOnceSynced(edge: EdgeServer, region: Region): Promise<string> {
  return waitUntil(
    async () => {
      const { username, password } = region.provider;
      const res = await edge.api('POST', '/api/v1/auth/token/', { username, password });
      if (res.status !== 200)
        throw new Error(`login: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.access as string;
    },
    { timeoutMs: 60_000, message: 'the provider could not log in on the node (users not synced?)' },
  );
}

/** Polls the node's sync status until it says online, and resolves with that status. */
function onlineStatus(edge: EdgeServer, token: string): Promise<SyncStatus> {
  return waitUntil(
    async () => {
      const res = await edge.syncStatus(token);
      if (res.status !== 200 || res.body.online !== true)
        throw new Error(`sync status: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    { timeoutMs: 60_000, message: 'the node never reported online: true' },
  );
}

describe('a clinic node behind a proxy', () => {
  it('comes online, with the users of its facilities synced from central', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const node = await enrollNode(central, {
      name: 'smoke-clinic',
      facilities: region.facilities.map((f) => f.id),
    });
    expect(node.token).toEqual(expect.any(String));
    const edge = await cluster.startEdge({ central, token: node.token });

    const token = await loginOnceSynced(edge, region);
    const status = await onlineStatus(edge, token);
    expect(status.online).toBe(true);
    expect(status.pending_mutations).toEqual(expect.any(Number));
    // It really talked to central through its proxy.
    expect(edge.proxy.stats.forwarded).toBeGreaterThan(0);
  }, 150_000);

  it('goes offline when the link is cut, and back online when it heals', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const node = await enrollNode(central, {
      name: 'cut-clinic',
      facilities: region.facilities.map((f) => f.id),
    });
    const edge = await cluster.startEdge({ central, token: node.token });
    const token = await loginOnceSynced(edge, region);
    await onlineStatus(edge, token);

    edge.proxy.cut();
    const run = await edge.syncRun(token);
    expect(run.status).toBe(503);
    const offline = await edge.syncStatus(token);
    expect(offline.status).toBe(200);
    expect(offline.body.online).toBe(false);
    expect(offline.body.last_error).not.toBeNull();
    // Offline, the node still serves its users.
    expect((await edge.api('GET', '/api/v1/patients/', undefined, token)).status).toBe(200);

    edge.proxy.heal();
    await waitUntil(async () => (await edge.syncRun(token)).status === 200, {
      timeoutMs: 30_000,
      message: 'a forced sync still failed after the link healed',
    });
    expect((await edge.syncStatus(token)).body.online).toBe(true);
  }, 150_000);
});
