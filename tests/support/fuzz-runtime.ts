/**
 * In-process nodes for the fuzz suites: a clinic node (edge role, SQLite file) or central
 * (central role with its nodes API and sync routes, on PGlite or a PostgreSQL server),
 * each with a logger that keeps every line at debug level, driven with `app.request`.
 */
import { createLogger } from '@clinic/api';
import { centralParts } from '@clinic/central';
import { createNodeRuntime, ensureAdmin, type NodeRuntime } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { openPgliteStore, openPostgresStore, type PgStore } from '@clinic/store-postgres';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { manualClock, type ManualClock } from './manual-clock';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from './postgres';
import { makeTempDir, type TempDir } from './tmp-dir';

export type FuzzTarget = 'edge/sqlite' | 'central/pglite' | 'central/postgres';

/** The targets a suite runs on: the PostgreSQL server only when TEST_DATABASE_URL is set. */
export function fuzzTargets<T extends FuzzTarget>(suite: string, wanted: readonly T[]): T[] {
  if (!wanted.includes('central/postgres' as T)) return [...wanted];
  const url = testDatabaseUrl(suite);
  return wanted.filter((t) => t !== 'central/postgres' || url !== undefined);
}

export const FUZZ_ADMIN = { username: 'fuzz-admin', password: 'fuzz-admin-password-1' };

/** The harness clock's start: fixed, so generated times mean the same on every run. */
export const FUZZ_NOW = Date.UTC(2030, 0, 1, 6, 0, 0);

export interface RawRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** The body as text (gzip answers inflated). */
  text: string;
  ms: number;
  /** Log lines written while the request ran. */
  logLines: string[];
}

export interface FuzzNode {
  target: FuzzTarget;
  runtime: NodeRuntime;
  clock: ManualClock;
  /** Every log line so far (pino JSON, debug level and up). */
  logLines: string[];
  send(request: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

async function openTarget(
  target: FuzzTarget,
  dir: TempDir,
): Promise<{ store: PgStore | ReturnType<typeof openSqliteStore>; db?: TestDatabase }> {
  if (target === 'edge/sqlite')
    return { store: openSqliteStore({ file: join(dir.path, 'clinic.db') }) };
  if (target === 'central/pglite') return { store: await openPgliteStore() };
  const url = testDatabaseUrl('fuzz');
  if (!url) throw new Error('no PostgreSQL server configured (TEST_DATABASE_URL)');
  const db = await createTestDatabase(url);
  try {
    return { store: await openPostgresStore({ connectionString: db.url, poolSize: 4 }), db };
  } catch (e) {
    await db.drop();
    throw e;
  }
}

export async function startFuzzNode(target: FuzzTarget): Promise<FuzzNode> {
  const dir = await makeTempDir(`clinic-fuzz-${target.replace('/', '-')}`);
  const { store, db } = await openTarget(target, dir);
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const clock = manualClock(FUZZ_NOW);
  // Central's own parts (nodes API, conflict hooks, sync routes ...), as startCentral wires them.
  const { attach, ...central } = target === 'edge/sqlite' ? {} : centralParts(store as PgStore);
  const runtime = await createNodeRuntime({
    ...central,
    role: target === 'edge/sqlite' ? 'edge' : 'central',
    store,
    dataDir: dir.path,
    logger,
    version: 'fuzz',
    clock,
  });
  await attach?.(runtime);
  await ensureAdmin(runtime.directory, FUZZ_ADMIN.username, FUZZ_ADMIN.password);

  return {
    target,
    runtime,
    clock,
    logLines,
    async send(request) {
      const mark = logLines.length;
      const started = performance.now();
      const withBody = !['GET', 'HEAD'].includes(request.method.toUpperCase());
      const res = await runtime.app.request(`http://clinic.test${request.url}`, {
        method: request.method,
        headers: request.headers,
        ...(withBody && request.body !== undefined && { body: request.body }),
      });
      let bytes: Buffer = Buffer.from(await res.arrayBuffer());
      const ms = Math.round(performance.now() - started);
      if (/gzip/i.test(res.headers.get('content-encoding') ?? '') && bytes.length > 0) {
        bytes = gunzipSync(bytes);
      }
      return {
        status: res.status,
        headers: res.headers,
        text: bytes.toString('utf8'),
        ms,
        logLines: logLines.slice(mark),
      };
    },
    async close() {
      await store.close();
      await db?.drop();
      await dir.cleanup();
    },
  };
}
