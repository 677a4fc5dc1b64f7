/**
 * In-process sync for tests: a real central (PGlite in a temp dir, listening on a real
 * 127.0.0.1 port) and real clinic nodes (SQLite files) that talk to it over HTTP, each
 * with a sync engine the test drives (`syncRun`) instead of timers.
 */
import { silentLogger } from '@clinic/api';
import { startCentral, type RunningCentral } from '@clinic/central';
import type { Facility, Patient, User } from '@clinic/domain';
import { startEdge, type RunningEdge } from '@clinic/edge';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { makeTempDir, type TempDir } from '../support/tmp-dir';
import type { Clock } from '@clinic/domain';

export const ADMIN = { username: 'region-admin', password: 'region-admin-pw-1' };
export const PASSWORD = 'provider-password-1';
export const HOUR = 3_600_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
export type Json = any;

export interface Http {
  url: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: Json }>;
}

export function http(url: string): Http {
  return {
    url,
    async call(method, path, body, token) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Json) : null };
    },
  };
}

export async function login(h: Http, username: string, password: string): Promise<string> {
  const res = await h.call('POST', '/api/v1/auth/token/', { username, password });
  if (res.status !== 200)
    throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access as string;
}

export interface Region {
  facilities: [Facility, Facility];
  provider: User;
  patients: [Patient, Patient];
}

export interface SyncNode {
  edge: RunningEdge;
  e: Http;
  nodeId: string;
  token: string;
  /** The node talks to central through this proxy: cut() takes it offline. */
  proxy: TcpProxy;
  dataDir: string;
}

export interface SyncWorld {
  central: RunningCentral;
  c: Http;
  adminToken: string;
  region: Region;
  startNode(name: string, facilities: string[], options?: { clock?: Clock }): Promise<SyncNode>;
  /** Starts a stopped node again from its data directory (only --data, as a restart does). */
  restartNode(node: SyncNode, options?: { clock?: Clock }): Promise<SyncNode>;
  close(): Promise<void>;
}

let counter = 0;

export async function startWorld(
  options: { liveTimeoutMs?: number; databaseUrl?: string } = {},
): Promise<SyncWorld> {
  const dirs: TempDir[] = [];
  const edges: RunningEdge[] = [];
  const proxies: TcpProxy[] = [];
  const edgeOptions = (dataDir: string, clock?: Clock) => ({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logger: silentLogger(),
    version: 'test',
    ...(clock && { clock }),
    // The test drives the cycles (sync/run), except the one every start makes.
    sync: { intervalMs: 3_600_000, offlineIntervalMs: 3_600_000, debounceMs: 3_600_000 },
  });
  const dir = await makeTempDir('clinic-central');
  dirs.push(dir);
  const central = await startCentral({
    port: 0,
    host: '127.0.0.1',
    dataDir: dir.path,
    logger: silentLogger(),
    version: 'test',
    admin: ADMIN,
    liveTimeoutMs: options.liveTimeoutMs ?? 500,
    ...(options.databaseUrl && { databaseUrl: options.databaseUrl }),
  });
  const c = http(central.server.url);
  const adminToken = await login(c, ADMIN.username, ADMIN.password);
  const tag = `${process.pid}-${(counter += 1)}`;
  const f1 = await c.call(
    'POST',
    '/api/v1/facilities/',
    { name: `Hope ${tag}`, timezone: 'Africa/Nairobi', capacity: 1, is_active: true },
    adminToken,
  );
  const f2 = await c.call(
    'POST',
    '/api/v1/facilities/',
    { name: `River ${tag}`, timezone: 'Africa/Nairobi', capacity: 1, is_active: true },
    adminToken,
  );
  const provider = await c.call(
    'POST',
    '/api/v1/users/',
    {
      username: `dr.both.${tag}`,
      password: PASSWORD,
      role: 'provider',
      user_type: 'doctor',
      first_name: 'Amina',
      last_name: 'Both',
      email: `amina.${tag}@example.org`,
      phone_number: '+254700000001',
      facilities: [f1.body.id, f2.body.id],
      is_active: true,
    },
    adminToken,
  );
  const patients = [];
  for (const [i, f] of [f1, f2].entries()) {
    const p = await c.call(
      'POST',
      '/api/v1/patients/',
      {
        patient_id: `MRN-${tag}-${i}`,
        first_name: 'Baraka',
        last_name: `Patient${i}`,
        phone_number: '+254700000002',
        email: `p${i}.${tag}@example.org`,
        registered_facility: f.body.id,
        is_active: true,
      },
      adminToken,
    );
    if (p.status !== 201) throw new Error(`patient: ${p.status} ${JSON.stringify(p.body)}`);
    patients.push(p.body);
  }
  const region: Region = {
    facilities: [f1.body, f2.body],
    provider: provider.body,
    patients: patients as [Patient, Patient],
  };

  return {
    central,
    c,
    adminToken,
    region,
    async startNode(name, facilities, options = {}) {
      const enrolled = await c.call('POST', '/api/v1/nodes/', { name, facilities }, adminToken);
      if (enrolled.status !== 201) {
        throw new Error(`enroll: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
      }
      const d = await makeTempDir('clinic-edge');
      dirs.push(d);
      const proxy = await startTcpProxy({ targetPort: central.server.port });
      proxies.push(proxy);
      const edge = await startEdge({
        ...edgeOptions(d.path, options.clock),
        central: proxy.url,
        token: enrolled.body.token as string,
      });
      edges.push(edge);
      return {
        edge,
        e: http(edge.server.url),
        nodeId: enrolled.body.id as string,
        token: enrolled.body.token as string,
        proxy,
        dataDir: d.path,
      };
    },
    async restartNode(node, options = {}) {
      const edge = await startEdge(edgeOptions(node.dataDir, options.clock));
      edges.push(edge);
      return { ...node, edge, e: http(edge.server.url) };
    },
    async close() {
      for (const edge of edges.reverse()) await edge.stop().catch(() => undefined);
      for (const proxy of proxies) await proxy.close();
      await central.stop();
      for (const d of dirs) await d.cleanup();
    },
  };
}
