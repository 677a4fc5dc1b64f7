/**
 * A node behind a TLS reverse proxy (`--trusted-proxy`): every request reaches it from the
 * proxy's address. Trusting the proxy, login throttling counts each client by the address the
 * proxy appended to X-Forwarded-For, so one client spraying logins is stopped while another
 * still logs in; the proxy's own connections have no per-address cap. Without it, every client
 * shares the proxy's address: one client's failures block everyone's logins (the defect).
 *
 * Real processes' sockets only: a clinic node (startEdge, a SQLite file), a small proxy, and
 * two clients on distinct loopback addresses (127.0.0.2 and 127.0.0.3, which Linux routes to
 * lo like all of 127.0.0.0/8).
 */
import { silentLogger } from '@clinic/api';
import { LOGIN_RULES } from '@clinic/auth';
import { startEdge, type RunningEdge } from '@clinic/edge';
import { DEFAULT_HTTP_LIMITS } from '@clinic/server';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/tmp-dir';
import { ADMIN } from './http-harness';
import { startReverseProxy, type ReverseProxy } from './reverse-proxy';

const PROXY_ADDRESS = '127.0.0.1';
const ATTACKER = '127.0.0.2';
const STAFF = '127.0.0.3';

interface BehindProxy {
  node: RunningEdge;
  proxy: ReverseProxy;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A clinic node on 127.0.0.1 and the proxy in front of it; `trusted` as --trusted-proxy gives. */
async function startBehindProxy(trusted: string[] | undefined): Promise<BehindProxy> {
  const dir: TempDir = await makeTempDir('clinic-proxy');
  const node = await startEdge({
    port: 0,
    host: '127.0.0.1',
    dataDir: dir.path,
    logger: silentLogger(),
    version: 'test',
    admin: ADMIN,
    ...(trusted && { trustedProxies: trusted }),
  });
  const proxy = await startReverseProxy(node.server.url);
  cleanups.push(async () => {
    await proxy.close();
    await node.stop();
    await dir.cleanup();
  });
  return { node, proxy };
}

/**
 * POST /api/v1/auth/token/ from the local address `from`, on a new connection; the status.
 * `forwardedFor`: an X-Forwarded-For the client itself sends (a spoofing attempt).
 */
function login(
  url: string,
  from: string,
  credentials: { username: string; password: string },
  forwardedFor?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/auth/token/`,
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          ...(forwardedFor && { 'x-forwarded-for': forwardedFor }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(credentials));
  });
}

/**
 * One more failed login than the per-address limit allows, from the attacker through the
 * proxy, each with a different unknown username (no account counter is involved) and a new
 * forged X-Forwarded-For; then the staff member's correct login through the same proxy.
 */
async function sprayThenLogIn(
  url: string,
): Promise<{ attacker: number[]; attackerLast: number; staff: number }> {
  const attacker: number[] = [];
  for (let i = 0; i <= LOGIN_RULES.address.free; i += 1) {
    const forged = `198.51.100.${i + 1}`;
    attacker.push(
      await login(url, ATTACKER, { username: `nobody-${i}`, password: 'wrong-password' }, forged),
    );
  }
  return {
    attacker: attacker.slice(0, -1),
    attackerLast: attacker.at(-1)!,
    staff: await login(url, STAFF, ADMIN),
  };
}

/** Opens `count` connections from 127.0.0.1 and waits until the server has dealt with each. */
async function openConnections(node: RunningEdge, count: number): Promise<number> {
  const { connections } = node.server;
  const before = connections.accepted() + connections.refused();
  const refusedBefore = connections.refused();
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 1) {
    const socket = connect({ port: node.server.port, host: '127.0.0.1' });
    socket.on('error', () => undefined); // a refused connection is reset
    sockets.push(socket);
  }
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return Promise.resolve();
  });
  const deadline = Date.now() + 10_000;
  while (connections.accepted() + connections.refused() - before < count) {
    if (Date.now() > deadline) throw new Error('the server did not see every connection');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return connections.refused() - refusedBefore;
}

describe.skipIf(process.platform !== 'linux')('a node behind a trusted reverse proxy', () => {
  it('throttles each client by its own address: one spraying logins does not block another', async () => {
    const { proxy } = await startBehindProxy([PROXY_ADDRESS]);
    const got = await sprayThenLogIn(proxy.url);
    expect(got.attacker.every((status) => status === 401)).toBe(true);
    // A forged leftmost X-Forwarded-For does not give the attacker a fresh address.
    expect(got.attackerLast).toBe(429);
    expect(got.staff).toBe(200);
  }, 60_000);

  it('without --trusted-proxy, every client is the proxy: one blocks everyone (the defect)', async () => {
    const { proxy } = await startBehindProxy(undefined);
    const got = await sprayThenLogIn(proxy.url);
    expect(got.attacker.every((status) => status === 401)).toBe(true);
    expect(got.attackerLast).toBe(429);
    expect(got.staff).toBe(429);
  }, 60_000);

  it('a trusted proxy may hold more connections than the per-address cap', async () => {
    const cap = DEFAULT_HTTP_LIMITS.maxConnectionsPerAddress;
    const { node: trusting } = await startBehindProxy([PROXY_ADDRESS]);
    expect(await openConnections(trusting, cap + 2)).toBe(0);
    const { node: plain } = await startBehindProxy(undefined);
    expect(await openConnections(plain, cap + 2)).toBe(2);
  }, 60_000);
});
