/**
 * An early answer (413, 401, 415) to a body the app did not read leaves the keep-alive
 * connection working: the server reads and discards the rest of the body before answering
 * (packages/server/src/request-drain.ts). Before, the answer said "keep-alive" and the
 * socket was destroyed ~500 ms later, so the client's next request on it failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@clinic/server';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  rawExchange,
  startCentralWithNode,
  startClinicServer,
  trickle,
  type CentralWithNode,
  type ClinicServer,
} from './http-harness';

let clinic: ClinicServer;
let central: CentralWithNode;

beforeAll(async () => {
  [clinic, central] = await Promise.all([startClinicServer(), startCentralWithNode()]);
});

afterAll(async () => {
  await Promise.all([clinic?.close(), central?.close()]);
});

/** Longer than @hono/node-server's drain timeout (500 ms), after which it destroyed the socket. */
const PAST_DRAIN_TIMEOUT_MS = 700;

/**
 * Sends the request, then three more, one of them after the drain timeout. Every one must
 * succeed, and the socket that carried the early answer must still be open at the end
 * (the client may or may not pick it again: its pool decides).
 */
async function expectConnectionKept(
  server: RunningServer,
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: unknown; connection: string | null }> {
  let socket: Socket | undefined;
  server.http.once('request', (req: IncomingMessage) => {
    socket = req.socket;
  });
  const res = await fetch(url, init);
  const body: unknown = await res.json();
  const statuses: number[] = [];
  for (const wait of [0, PAST_DRAIN_TIMEOUT_MS, 0]) {
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const next = await fetch(`${server.url}/healthz`);
    await next.arrayBuffer();
    statuses.push(next.status);
  }
  expect(statuses).toEqual([200, 200, 200]);
  expect(socket).toBeDefined();
  expect(socket?.destroyed).toBe(false);
  return { status: res.status, body, connection: res.headers.get('connection') };
}

const json = { 'content-type': 'application/json' };

describe('keep-alive after an early answer', () => {
  it('a 3 MB body gets its 413, and the connection serves the next requests', async () => {
    const res = await expectConnectionKept(clinic.server, `${clinic.url}/api/v1/patients/`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${clinic.adminToken}` },
      body: JSON.stringify({ first_name: 'x'.repeat(3_000_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: 'Request body is too large (the limit is 1 MB).' });
    expect(res.connection).toBe('keep-alive');
  });

  it('a 401 to a 200 KB POST without a token', async () => {
    const res = await expectConnectionKept(clinic.server, `${clinic.url}/api/v1/patients/`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ first_name: 'x'.repeat(200_000) }),
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('a 415 to a 200 KB text body', async () => {
    const res = await expectConnectionKept(clinic.server, `${clinic.url}/api/v1/patients/`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${clinic.adminToken}` },
      body: 'x'.repeat(200_000),
    });
    expect(res.status).toBe(415);
  });

  it('a 401 on the push route to a body that arrives slowly', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(200_000) }));
    const res = await expectConnectionKept(central.central.server, `${central.url}/sync/v3/push`, {
      method: 'POST',
      headers: { ...json, authorization: 'Bearer clinic-node.not-a-token' },
      body: trickle(body, 4, 250),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Invalid or revoked node token.' });
  });

  it('a body past the drain bound is answered with Connection: close, and the socket ends', async () => {
    const small = await startClinicServer({ drainLimitBytes: 64 * 1024 });
    try {
      // Declared beyond the bound: answered at once, nothing read.
      const declared = await rawExchange(
        small.server.port,
        'POST /api/v1/patients/ HTTP/1.1\r\nHost: clinic\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${256 * 1024}\r\n\r\n`,
        new Uint8Array(1024).fill(0x20),
      );
      expect(declared.received).toMatch(/^HTTP\/1\.1 401 /);
      expect(declared.received).toMatch(/\r\nConnection: close\r\n/i);
      // Chunked, nobody reads it (no route), and it passes the bound while being drained.
      const chunk = new Uint8Array(100 * 1024).fill(0x20);
      const counted = await rawExchange(
        small.server.port,
        'POST /no-such-page HTTP/1.1\r\nHost: clinic\r\nTransfer-Encoding: chunked\r\n\r\n',
        Buffer.concat([
          Buffer.from(`${chunk.length.toString(16)}\r\n`),
          chunk,
          Buffer.from('\r\n'),
        ]),
      );
      expect(counted.received).toMatch(/^HTTP\/1\.1 404 /);
      expect(counted.received).toMatch(/\r\nConnection: close\r\n/i);
    } finally {
      await small.close();
    }
  });
});
