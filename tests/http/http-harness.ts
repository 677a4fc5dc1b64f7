/**
 * Real servers on 127.0.0.1 for the HTTP transport tests: a clinic node (a SQLite file)
 * served by `listen` with the limits a test chooses, and a central (PGlite) with one
 * enrolled node. Requests go through Node's fetch, which keeps connections alive.
 */
import { silentLogger } from '@clinic/api';
import { startCentral, type RunningCentral } from '@clinic/central';
import {
  createNodeRuntime,
  ensureAdmin,
  listen,
  type HttpLimits,
  type NodeRuntime,
  type RunningServer,
} from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from '../support/tmp-dir';

export const ADMIN = { username: 'http-admin', password: 'http-admin-password-1' };

export interface ClinicServer {
  url: string;
  server: RunningServer;
  runtime: NodeRuntime;
  adminToken: string;
  close(): Promise<void>;
}

export async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access: string }).access;
}

/** A clinic node's app on a real socket; `limits` as `listen` takes them. */
export async function startClinicServer(limits?: Partial<HttpLimits>): Promise<ClinicServer> {
  const dir = await makeTempDir('clinic-http');
  const store = openSqliteStore({ file: join(dir.path, 'clinic.db') });
  const runtime = await createNodeRuntime({
    role: 'edge',
    store,
    dataDir: dir.path,
    logger: silentLogger(),
    version: 'test',
  });
  await ensureAdmin(runtime.directory, ADMIN.username, ADMIN.password);
  const server = await listen(runtime.app, {
    port: 0,
    host: '127.0.0.1',
    ...(limits && { limits }),
  });
  return {
    url: server.url,
    server,
    runtime,
    adminToken: await login(server.url),
    async close() {
      await server.close(500);
      await store.close();
      await dir.cleanup();
    },
  };
}

export interface CentralWithNode {
  url: string;
  central: RunningCentral;
  nodeToken: string;
  nodeId: string;
  close(): Promise<void>;
}

/** Central on PGlite with one facility and one enrolled node (its token pushes). */
export async function startCentralWithNode(): Promise<CentralWithNode> {
  const dir = await makeTempDir('clinic-http-central');
  const central = await startCentral({
    port: 0,
    host: '127.0.0.1',
    dataDir: dir.path,
    logger: silentLogger(),
    version: 'test',
    admin: ADMIN,
  });
  const url = central.server.url;
  const token = await login(url);
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const facility = await call('/api/v1/facilities/', {
    name: `Hope ${process.pid}`,
    timezone: 'Africa/Nairobi',
    capacity: 1,
  });
  const node = await call('/api/v1/nodes/', { name: 'node-a', facilities: [facility.id] });
  return {
    url,
    central,
    nodeToken: node.token as string,
    nodeId: node.id as string,
    async close() {
      await central.stop();
      await dir.cleanup();
    },
  };
}

/** A request body sent in `pieces` chunks, `gapMs` apart, as a slow link delivers it. */
export function trickle(
  body: Uint8Array,
  pieces: number,
  gapMs: number,
): ReadableStream<Uint8Array> {
  const size = Math.ceil(body.length / pieces);
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      controller.enqueue(body.subarray(sent, sent + size));
      sent += size;
      if (sent >= body.length) controller.close();
    },
  });
}

/**
 * Writes `head` and then `body` on a new socket and collects what the server sends until it
 * closes the connection. The socket never sends more than that: a test sees what the server
 * does with a request whose body stops short.
 */
export function rawExchange(
  port: number,
  head: string,
  body: Uint8Array = new Uint8Array(0),
): Promise<{ received: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) =>
      resolve({ received: Buffer.concat(chunks).toString(), error: err.message }),
    );
    socket.on('close', () => resolve({ received: Buffer.concat(chunks).toString() }));
    socket.write(head);
    if (body.length > 0) socket.write(body);
  });
}
