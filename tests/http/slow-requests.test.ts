/**
 * Transport limits of `listen` (packages/server/src/http-server.ts), shortened for the
 * test: a request whose headers or body never arrive is answered 408 and its connection
 * closed after the timeout (Node's default held it 300 s), and one address cannot open more
 * than its share of connections.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange, startClinicServer, type ClinicServer } from './http-harness';

describe('request timeouts', () => {
  let clinic: ClinicServer;
  beforeAll(async () => {
    clinic = await startClinicServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
  });
  afterAll(async () => {
    await clinic?.close();
  });

  it('a request that sends its headers but never its body is answered 408 and closed', async () => {
    const { received } = await rawExchange(
      clinic.server.port,
      'POST /api/v1/auth/token/ HTTP/1.1\r\nHost: clinic\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"username":',
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a request whose headers never end is answered 408 and closed', async () => {
    const { received } = await rawExchange(
      clinic.server.port,
      'GET /healthz HTTP/1.1\r\nHost: clinic\r\nX-Slow: ',
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a request that arrives in time is served on the same server', async () => {
    const res = await fetch(`${clinic.url}/healthz`);
    expect(res.status).toBe(200);
  });
});

/** Resolves once the server counts `n` open connections from 127.0.0.1. */
async function openCount(clinic: ClinicServer, n: number): Promise<void> {
  while ((clinic.server.connections.open().get('127.0.0.1') ?? 0) !== n) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A connection that has been served one request and stays open. */
async function servedConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
    socket.write('GET /healthz HTTP/1.1\r\nHost: clinic\r\n\r\n');
  });
  return socket;
}

describe('connections per address', () => {
  let clinic: ClinicServer;
  beforeAll(async () => {
    clinic = await startClinicServer({ maxConnectionsPerAddress: 3 });
  });
  afterAll(async () => {
    await clinic?.close();
  });

  it('refuses the connection past the limit, and accepts again once one closes', async () => {
    // The harness logged in through fetch: let that connection go first.
    clinic.server.http.closeIdleConnections();
    await openCount(clinic, 0);
    const held = await Promise.all([1, 2, 3].map(() => servedConnection(clinic.server.port)));
    expect(clinic.server.connections.open().get('127.0.0.1')).toBe(3);

    const refused = await rawExchange(
      clinic.server.port,
      'GET /healthz HTTP/1.1\r\nHost: clinic\r\n\r\n',
    );
    expect(refused.received).toBe('');
    expect(clinic.server.connections.refused()).toBe(1);

    const first = held[0]!;
    first.destroy();
    await openCount(clinic, 2);
    const res = await fetch(`${clinic.url}/healthz`);
    expect(res.status).toBe(200);
    for (const socket of held) socket.destroy();
  });
});
