/**
 * Test support for the pull side of sync: a real central (PGlite from a migrated template,
 * written through the PgStore port so the change-log triggers fire), its shape server on
 * a real HTTP port (127.0.0.1, port 0), and a clinic node's SQLite store in a temp dir
 * bound to the puller. Also the fixture world whose scope the tests check.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { join } from 'node:path';
import type { ConflictRecord } from '@clinic/domain';
import { createShapeSource, type PgliteTemplate, type PgStore } from '@clinic/store-postgres';
import {
  applyShapeBatch,
  openSqliteStore,
  readShapePosition,
  retryDeferredParents,
  type SqliteStore,
} from '@clinic/store-sqlite';
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  createShapeRoute,
  pullOnce,
  type PullOptions,
  type PullStore,
  type ShapeSourcePort,
} from '@clinic/sync';
import {
  makeAppointment,
  makeFacility,
  makePatient,
  makeUser,
  newId,
  FIXED_NOW,
} from '../conformance/fixtures';
import { makeTempDir, type TempDir } from '../support/tmp-dir';

export const TOKEN = `clinic-node.${newId()}.${'s'.repeat(40)}`;

export interface Central {
  store: PgStore;
  url: string;
  /** Rows and change entries the source handed to the server (what went on the wire). */
  sent: { rows: number; requests: number };
  node: { id: string; facilities: string[] };
  setEpoch(epoch: string): void;
  revoke(): void;
  close(): Promise<void>;
}

export interface CentralOptions {
  facilities: string[];
  pageSize?: number;
  liveTimeoutMs?: number;
  pollIntervalMs?: number;
}

/** The template's store is a PgStore (template.open() is typed as the plain port). */
export async function openCentralStore(template: PgliteTemplate): Promise<PgStore> {
  const store = await template.open();
  if (!('db' in store)) throw new Error('expected a PgStore');
  return store as PgStore;
}

export async function startCentral(store: PgStore, options: CentralOptions): Promise<Central> {
  const source = createShapeSource(store.db);
  const sent = { rows: 0, requests: 0 };
  // Counts what the source hands out; the data itself is the real database's.
  const counting: ShapeSourcePort = {
    columns: (t) => source.columns(t),
    head: (t) => source.head(t),
    async snapshot(...args) {
      const page = await source.snapshot(...args);
      sent.requests += 1;
      sent.rows += page.rows.length;
      return page;
    },
    async changes(...args) {
      const page = await source.changes(...args);
      sent.requests += 1;
      sent.rows += page.entries.length;
      return page;
    },
  };
  let epoch = 'e1';
  let revoked = false;
  const node = { id: newId(), facilities: options.facilities };
  const shape = createShapeRoute({
    source: counting,
    authenticate: async (header) => (!revoked && header === `Bearer ${TOKEN}` ? node : undefined),
    epoch: () => epoch,
    liveTimeoutMs: options.liveTimeoutMs ?? 300,
    pollIntervalMs: options.pollIntervalMs ?? 25,
    snapshotPageSize: options.pageSize ?? 2000,
  });
  const app = new Hono();
  // As central: the same shapes under every protocol version it serves.
  for (const v of SUPPORTED_PROTOCOL_VERSIONS) app.route(`/sync/v${v}/shape`, shape);
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({ server: s, port: info.port }),
    );
  });
  return {
    store,
    url: `http://127.0.0.1:${port}`,
    sent,
    node,
    setEpoch: (e) => (epoch = e),
    revoke: () => (revoked = true),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

export interface Edge {
  store: SqliteStore;
  dir: TempDir;
  file: string;
  pullStore: PullStore;
  pull(options?: Partial<PullOptions>): ReturnType<typeof pullOnce>;
  /** Closes and opens the store again on the same file (a node restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function openEdge(central: Central): Promise<Edge> {
  const dir = await makeTempDir('clinic-pull');
  const file = join(dir.path, 'edge.db');
  const edge = {
    store: openSqliteStore({ file }),
    dir,
    file,
  } as Edge;
  edge.pullStore = {
    readPosition: (t) => readShapePosition(edge.store, t),
    applyBatch: (t, m, p) => applyShapeBatch(edge.store, t, m, p),
    retryDeferredParents: () => retryDeferredParents(edge.store),
  };
  edge.pull = (options = {}) =>
    pullOnce({
      centralUrl: central.url,
      token: TOKEN,
      store: edge.pullStore,
      timeoutMs: 20_000,
      ...options,
    });
  edge.restart = async () => {
    await edge.store.close();
    edge.store = openSqliteStore({ file });
  };
  edge.close = async () => {
    await edge.store.close();
    await dir.cleanup();
  };
  return edge;
}

/** Every id of `table` on the node. */
export function edgeIds(edge: Edge, table: string, column = 'id'): string[] {
  return edge.store
    .readSql((sql) => sql.all<{ id: string }>(`SELECT ${column} AS id FROM ${table} ORDER BY 1`))
    .map((r) => r.id);
}

/**
 * A small world around facility A (the node's scope) with rows in and out of scope:
 *
 * | row | facility | provider | patient | why |
 * | a1 | A | provA | pA | at A |
 * | a2 | B | provB | pA | patient registered at A |
 * | a3 | B | provA | pB | provider works at A |
 * | a6 | A | provC | pC (created by admin) | at A |
 * | a4 | B | provB | pD | OUT |
 * | a5 | C | provD | pC | OUT (pC is in scope, but not through this one) |
 *
 * In scope: patients pA (registered at A), pB (a3), pC (a6); users provA (linked, with its
 * password hash), provB, provC, admin (referenced, without); links of those users;
 * conflicts c1 (a1, a2) and c3 (edit of a3). Out: pD, pNull, provD, a4, a5, c2 (a4, a5).
 */
export async function seedWorld(store: PgStore) {
  const fA = makeFacility({ name: 'A' });
  const fB = makeFacility({ name: 'B' });
  const fC = makeFacility({ name: 'C' });
  const provA = makeUser({ facilities: [fA.id] });
  const provB = makeUser({ facilities: [fB.id] });
  const provC = makeUser({ facilities: [fC.id] });
  const provD = makeUser({ facilities: [fC.id] });
  const admin = makeUser({ role: 'admin', user_type: 'admin', facilities: [] });
  const pA = makePatient({ registered_facility: fA.id });
  const pB = makePatient({ registered_facility: fB.id });
  const pC = makePatient({ registered_facility: fC.id });
  const pD = makePatient({ registered_facility: fB.id });
  const pNull = makePatient({ registered_facility: null });
  const appt = (facility: string, provider: string, patient: string, hours: number) =>
    makeAppointment({
      facility,
      provider,
      patient,
      start_time: FIXED_NOW + hours * 3_600_000,
      end_time: FIXED_NOW + (hours + 1) * 3_600_000,
      clocks: JSON.stringify({ slot: `${String(FIXED_NOW + hours).padStart(13, '0')}-0000-c` }),
    });
  const a1 = appt(fA.id, provA.id, pA.id, 30);
  const a2 = appt(fB.id, provB.id, pA.id, 40);
  const a3 = appt(fB.id, provA.id, pB.id, 50);
  const a6 = { ...appt(fA.id, provC.id, pC.id, 60), created_by: admin.id };
  const a4 = appt(fB.id, provB.id, pD.id, 70);
  const a5 = appt(fC.id, provD.id, pC.id, 80);
  await store.write(async (tx) => {
    for (const f of [fA, fB, fC]) await tx.insertFacility(f);
    for (const u of [provA, provB, provC, provD, admin]) await tx.insertUser(u);
    for (const p of [pA, pB, pC, pD, pNull]) await tx.insertPatient(p);
    for (const a of [a1, a2, a3, a6, a4, a5]) await tx.insertAppointment(a);
  });
  const conflict = (a: string, b: string | null, kind: ConflictRecord['kind']): ConflictRecord => ({
    id: newId(),
    kind,
    appointment_a: a,
    appointment_b: b,
    status: 'open',
    detected_at: FIXED_NOW,
    resolved_at: null,
    resolution: null,
    details: '{}',
    version: 1,
    updated_at: FIXED_NOW,
  });
  const c1 = conflict(a1.id, a2.id, 'patient');
  const c2 = conflict(a4.id, a5.id, 'provider');
  const c3 = conflict(a3.id, null, 'edit');
  for (const c of [c1, c2, c3]) await insertConflict(store, c);
  return {
    facilities: { fA, fB, fC },
    users: { provA, provB, provC, provD, admin },
    patients: { pA, pB, pC, pD, pNull },
    appointments: { a1, a2, a3, a4, a5, a6 },
    conflicts: { c1, c2, c3 },
  };
}

export type World = Awaited<ReturnType<typeof seedWorld>>;

/** Conflicts are central's own records (no port method needed here): plain SQL. */
export async function insertConflict(store: PgStore, c: ConflictRecord): Promise<void> {
  await store.db.query(
    `INSERT INTO conflicts (id, kind, appointment_a, appointment_b, status, detected_at,
       resolved_at, resolution, details, dedupe_key, version, updated_at)
     VALUES ($1, $2, $3, $4, $5, to_timestamp($6::float8 / 1000), NULL, NULL, $7, $8, $9,
       to_timestamp($10::float8 / 1000))`,
    [
      c.id,
      c.kind,
      c.appointment_a,
      c.appointment_b,
      c.status,
      c.detected_at,
      c.details,
      `${c.kind}:${c.appointment_a}:${c.appointment_b ?? ''}`,
      c.version,
      c.updated_at,
    ],
  );
}

export const sorted = (ids: string[]) => [...ids].sort();
