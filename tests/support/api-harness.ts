/**
 * A real node (store + services + HTTP app) for API tests, driven with `app.request`.
 * The store is a real SQLite file, a PGlite instance, or a database on a PostgreSQL server.
 */
import { silentLogger } from '@clinic/api';
import type { Store } from '@clinic/core';
import type { Facility, Patient, User, UserType } from '@clinic/domain';
import { createNodeRuntime, ensureAdmin, type NodeRuntime } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import {
  createLoginThrottleStore,
  createPgliteTemplate,
  openPostgresStore,
  type PgStore,
} from '@clinic/store-postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock, type ManualClock } from './manual-clock';
import { createTestDatabase, testDatabaseUrl } from './postgres';

export type AdapterKind = 'sqlite' | 'pglite' | 'postgres';

/** Adapters the API suites run on: PostgreSQL only when a server URL is configured. */
export function apiAdapters(): AdapterKind[] {
  return testDatabaseUrl('API') ? ['sqlite', 'pglite', 'postgres'] : ['sqlite', 'pglite'];
}

export const ADMIN = { username: 'root-admin', password: 'admin-password-1' };
export const PASSWORD = 'provider-password-1';
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export interface Harness {
  kind: AdapterKind;
  runtime: NodeRuntime;
  store: Store;
  clock: ManualClock;
  dataDir: string;
  request(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      token?: string | null;
      headers?: Record<string, string>;
      raw?: string;
      /** The client's network address, as the HTTP server would report it. */
      address?: string;
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  ): Promise<{ status: number; body: any; headers: Headers }>;
  login(username: string, password: string): Promise<string>;
  adminToken: string;
  /** Fresh reference rows for one test (unique names, so tests never share ids). */
  fixtures(options?: { capacity?: number }): Promise<Fixtures>;
  makeProvider(
    facility: string,
    overrides?: { user_type?: UserType; is_active?: boolean },
  ): Promise<User>;
  makePatient(facility: string, overrides?: { is_active?: boolean }): Promise<Patient>;
  close(): Promise<void>;
}

export interface Fixtures {
  facility: Facility;
  provider: User;
  provider2: User;
  patient: Patient;
  patient2: Patient;
  providerToken: string;
}

let counter = 0;
const unique = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter += 1)}`;

// One migrated PGlite per test worker; each harness opens a copy (~0.65 s instead of ~2.2 s).
let pgliteTemplate: ReturnType<typeof createPgliteTemplate> | undefined;

async function openStore(
  kind: AdapterKind,
  dir: string,
): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (kind === 'sqlite')
    return { store: openSqliteStore({ file: join(dir, 'clinic.db') }), drop: async () => {} };
  if (kind === 'pglite') {
    pgliteTemplate ??= createPgliteTemplate();
    return { store: await (await pgliteTemplate).open(), drop: async () => {} };
  }
  const adminUrl = testDatabaseUrl('API');
  if (!adminUrl) throw new Error('no PostgreSQL server configured');
  const db = await createTestDatabase(adminUrl);
  return { store: await openPostgresStore({ connectionString: db.url }), drop: () => db.drop() };
}

export async function createHarness(kind: AdapterKind): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), `clinic-api-${kind}-`));
  const { store, drop } = await openStore(kind, dataDir);
  const clock = manualClock(Date.UTC(2030, 0, 1, 6, 0, 0));
  const runtime = await createNodeRuntime({
    role: 'edge',
    store,
    dataDir,
    logger: silentLogger(),
    version: 'test',
    clock,
    // Login counters where central keeps them: in the database, on PostgreSQL.
    ...(kind !== 'sqlite' && {
      throttle: createLoginThrottleStore((store as PgStore).db, () => clock.now()),
    }),
  });
  await ensureAdmin(runtime.directory, ADMIN.username, ADMIN.password);

  const request: Harness['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const env =
      options.address === undefined
        ? undefined
        : { incoming: { socket: { remoteAddress: options.address } } };
    const res = await runtime.app.request(
      `http://clinic.test${path}`,
      { method, headers, body },
      env,
    );
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (docs page): keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  const login = async (username: string, password: string) => {
    const res = await request('POST', '/api/v1/auth/token/', { body: { username, password } });
    if (res.status !== 200)
      throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access as string;
  };
  const adminToken = await login(ADMIN.username, ADMIN.password);

  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await request('POST', path, { body, token: adminToken });
    if (res.status !== 201)
      throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  }

  const makeProvider: Harness['makeProvider'] = (facility, overrides = {}) =>
    post<User>('/api/v1/users/', {
      username: unique('prov'),
      password: PASSWORD,
      role: 'provider',
      user_type: overrides.user_type ?? 'doctor',
      first_name: 'Jane',
      last_name: unique('Smith'),
      email: 'jane@clinic.example',
      phone_number: '+254700000001',
      facilities: [facility],
      is_active: overrides.is_active ?? true,
    });
  const makePatient: Harness['makePatient'] = (facility, overrides = {}) =>
    post<Patient>('/api/v1/patients/', {
      patient_id: unique('MRN'),
      first_name: 'John',
      last_name: unique('Doe'),
      phone_number: '+254711000001',
      email: 'john@patients.example',
      registered_facility: facility,
      is_active: overrides.is_active ?? true,
    });

  return {
    kind,
    runtime,
    store,
    clock,
    dataDir,
    request,
    login,
    adminToken,
    makeProvider,
    makePatient,
    async fixtures(options = {}) {
      const facility = await post<Facility>('/api/v1/facilities/', {
        name: unique('Hope Clinic'),
        timezone: 'Africa/Nairobi',
        capacity: options.capacity ?? 1,
      });
      const provider = await makeProvider(facility.id);
      const provider2 = await makeProvider(facility.id);
      const patient = await makePatient(facility.id);
      const patient2 = await makePatient(facility.id);
      const providerToken = await login(provider.username, PASSWORD);
      return { facility, provider, provider2, patient, patient2, providerToken };
    },
    async close() {
      await store.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** ISO string `hours` after the harness clock's now. */
export function at(h: Harness, hours: number, minutes = 0): string {
  return new Date(h.clock.now() + hours * HOUR + minutes * MINUTE).toISOString();
}
