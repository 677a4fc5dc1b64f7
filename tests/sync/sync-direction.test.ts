/**
 * A node's sync status says which direction fails (issue 11): with central answering
 * pulls but failing every push (an HTTP proxy in front of central answers the push path
 * with 500), the node keeps pulling, says `online: true` with a `push_error`, and its
 * booking stays pending; once pushes go through again the error clears.
 */
import { silentLogger } from '@clinic/api';
import { startEdge, type RunningEdge } from '@clinic/edge';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/tmp-dir';
import { HOUR, PASSWORD, http, login, startWorld, type SyncWorld } from './sync-harness';

/** Forwards every request to `target`, except pushes while `failPush` is set (500). */
async function startPushBreaker(target: string) {
  const to = new URL(target);
  const state = { failPush: false };
  const server: Server = createServer((req, res) => {
    if (state.failPush && req.url?.includes('/push')) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"detail":"internal error"}');
      return;
    }
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('sync status by direction', () => {
  let world: SyncWorld;
  let edge: RunningEdge;
  let breaker: Awaited<ReturnType<typeof startPushBreaker>>;
  let dir: TempDir;
  beforeAll(async () => {
    world = await startWorld();
    breaker = await startPushBreaker(world.central.server.url);
    const [f1] = world.region.facilities;
    const enrolled = await world.c.call(
      'POST',
      '/api/v1/nodes/',
      { name: 'direction', facilities: [f1.id] },
      world.adminToken,
    );
    dir = await makeTempDir('clinic-direction');
    edge = await startEdge({
      port: 0,
      host: '127.0.0.1',
      dataDir: dir.path,
      logger: silentLogger(),
      version: 'test',
      central: breaker.url,
      token: enrolled.body.token as string,
      sync: { intervalMs: 3_600_000, offlineIntervalMs: 3_600_000, debounceMs: 3_600_000 },
    });
  }, 60_000);
  afterAll(async () => {
    await edge?.stop();
    await breaker?.close();
    await world?.close();
    await dir?.cleanup();
  });

  it('keeps pulling and says the push fails (online, push_error), then clears it', async () => {
    const e = http(edge.server.url);
    let token = '';
    for (let i = 0; !token; i += 1) {
      token = await login(e, world.region.provider.username, PASSWORD).catch((err: unknown) => {
        if (i > 100) throw err;
        return new Promise<string>((r) => setTimeout(() => r(''), 100));
      });
    }
    breaker.state.failPush = true;
    const [f1] = world.region.facilities;
    const booked = await e.call(
      'POST',
      '/api/v1/appointments/',
      {
        patient: world.region.patients[0].id,
        provider: world.region.provider.id,
        facility: f1.id,
        appointment_type: 'consultation',
        start_time: new Date(Date.now() + 30 * HOUR).toISOString(),
        end_time: new Date(Date.now() + 31 * HOUR).toISOString(),
      },
      token,
    );
    expect(booked.status).toBe(201);
    // A patient registered on central meanwhile: the pull must still bring it.
    const registered = await world.c.call(
      'POST',
      '/api/v1/patients/',
      {
        patient_id: `MRN-DIR-${Date.now()}`,
        first_name: 'Pull',
        last_name: 'Works',
        registered_facility: f1.id,
      },
      world.adminToken,
    );
    expect(registered.status).toBe(201);

    const run = await e.call('POST', '/api/v1/sync/run/', undefined, token);
    expect(run.status).toBe(503);
    const failing = (await e.call('GET', '/api/v1/sync/status/', undefined, token)).body;
    expect(failing).toMatchObject({ online: true, pull_error: null });
    expect(failing.pending_mutations).toBeGreaterThan(0); // the booking and its notices
    expect(failing.push_error).toMatch(/push failed: central answered 500/);
    expect(failing.last_pull_at).not.toBeNull();
    const pulled = await e.call('GET', `/api/v1/patients/${registered.body.id}/`, undefined, token);
    expect(pulled.status).toBe(200);

    breaker.state.failPush = false;
    expect((await e.call('POST', '/api/v1/sync/run/', undefined, token)).status).toBe(200);
    const healed = (await e.call('GET', '/api/v1/sync/status/', undefined, token)).body;
    expect(healed).toMatchObject({
      online: true,
      pending_mutations: 0,
      push_error: null,
      pull_error: null,
      last_error: null,
    });
  });
});
