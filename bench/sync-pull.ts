/**
 * Benchmark of the pull side of sync (sync/SPEC.md section 5): how long a clinic node's
 * FIRST sync takes, how much memory the node uses meanwhile, and how many bytes an
 * appointment costs on the wire.
 *
 *   npx tsx bench/sync-pull.ts [--appointments N] [--patients N] [--facilities K]
 *                              [--page-size N] [--flush-every N] [--node-option FLAG]
 *
 * - Central (this process): PGlite in memory, the bench dataset (bench/lib/dataset.ts:
 *   8 facilities, 50 providers, N appointments, bulk-loaded with bench/lib/pg-bulk.ts;
 *   the change-log triggers fire as for any insert), the shape server over HTTP on
 *   127.0.0.1 with gzip/deflate compression as central mounts it. The node's scope is
 *   the first K facilities (default all 8, so every appointment travels).
 * - Wire size: every page of the appointments snapshot fetched plainly
 *   (`accept-encoding: identity`) and gzipped (`accept-encoding: gzip`, the bytes as
 *   received), divided by the number of appointments.
 * - The node (bench/lib/pull-node.ts in a child process, so its RSS is its own): a fresh
 *   SQLite file, `pullOnce` of every table with the real @electric-sql/client, timed; RSS
 *   sampled every 20 ms, and the kernel's peak (VmHWM). It runs as `clinic edge` does: an
 *   esbuild bundle of the workspace sources under plain node, with the runtime flags of
 *   apps/cli/bin/clinic.js (4 MB semi-spaces, 2 malloc arenas). tsx would add ~30 MB.
 *
 * Prints numbers; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { serve, type ServerType } from '@hono/node-server';
import { PGlite } from '@electric-sql/pglite';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { createUuidV7Generator } from '@clinic/domain';
import { cleanupAll, installCleanupHandlers, makeTempDir, trackChild } from './lib/cleanup';
import { buildDirectoryRows, makeShape, tomorrowUtc } from './lib/dataset';
import { log, timed } from './lib/log';
import { pgInsertDirectory, pgSeedAppointments } from './lib/pg-bulk';
import type { PullNodeResult } from './lib/pull-node';
import { REPO_ROOT } from './lib/server';
import { openDatabase } from '../packages/store-postgres/src/open';
import { pgliteDatabase } from '../packages/store-postgres/src/pglite-database';
import { createShapeSource } from '../packages/store-postgres/src/sync/shape-source';
import { createShapeRoute } from '../sync/src/central/shape-server';
import { PROTOCOL_VERSION } from '../sync/src/protocol';

const SCOPE = 'sync-pull';
const TOKEN =
  'clinic-node.00000000-0000-7000-8000-000000000001.benchbenchbenchbenchbenchbenchbench';
const MB = 2 ** 20;

const { values } = parseArgs({
  options: {
    appointments: { type: 'string', default: '50000' },
    patients: { type: 'string', default: '5000' },
    facilities: { type: 'string', default: '8' },
    'page-size': { type: 'string', default: '1000' },
    'flush-every': { type: 'string', default: '1000' },
    /** Extra node flags for the node's process (repeatable), e.g. --optimize-for-size. */
    'node-option': { type: 'string', multiple: true, default: [] },
  },
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** GET without decompression: the bytes as they travel. */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Walks the appointments snapshot page by page: rows, plain and gzip bytes. */
async function measureWire(url: string) {
  const auth = { authorization: `Bearer ${TOKEN}` };
  let offset = '-1';
  let handle = '';
  const total = { rows: 0, pages: 0, plain: 0, gzipWire: 0, gzipZlib: 0 };
  for (;;) {
    const query = new URLSearchParams({
      table: 'appointments',
      offset,
      ...(handle ? { handle } : {}),
    });
    const page = `${url}/sync/v${PROTOCOL_VERSION}/shape?${query}`;
    const identity = await rawGet(page, { ...auth, 'accept-encoding': 'identity' });
    const gzipped = await rawGet(page, { ...auth, 'accept-encoding': 'gzip' });
    if (identity.status !== 200) throw new Error(`shape answered ${identity.status}`);
    if (gzipped.headers['content-encoding'] !== 'gzip') throw new Error('no gzip on the wire');
    total.pages += 1;
    total.plain += identity.body.length;
    total.gzipWire += gzipped.body.length;
    total.gzipZlib += gzipSync(identity.body).length;
    const messages = JSON.parse(identity.body.toString('utf8')) as Array<{ key?: string }>;
    total.rows += messages.filter((m) => m.key !== undefined).length;
    offset = String(identity.headers['electric-offset']);
    handle = String(identity.headers['electric-handle']);
    if (offset.endsWith('_0')) return total;
  }
}

/**
 * esbuild plugin, as apps/cli/bin/bundle.js: bundle the workspace's TypeScript, leave
 * third-party packages external, keep each module's import.meta.url (migrations dir).
 */
const workspaceOnly = {
  name: 'workspace-only',
  setup(build: {
    onResolve(o: { filter: RegExp }, cb: (a: { path: string }) => object | undefined): void;
    onLoad(o: { filter: RegExp }, cb: (a: { path: string }) => Promise<object>): void;
  }) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@clinic/') ? undefined : { path: args.path, external: true },
    );
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

/** Bundles bench/lib/pull-node.ts under .tmp/ (in the repo, so externals resolve). */
async function bundleNode(): Promise<string> {
  const esbuild = await import('esbuild');
  const outdir = join(REPO_ROOT, '.tmp', `bench-pull-node-${process.pid}`);
  await esbuild.build({
    entryPoints: { 'pull-node': join(REPO_ROOT, 'bench/lib/pull-node.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [workspaceOnly],
    logLevel: 'warning',
  });
  return outdir;
}

/** Runs the node as `clinic edge` runs: plain node with the bin's runtime flags. */
async function runNode(url: string, file: string): Promise<PullNodeResult> {
  const outdir = await bundleNode();
  try {
    const args = [join(outdir, 'pull-node.mjs'), url, TOKEN, file, values['flush-every']];
    const flags = ['--max-semi-space-size=4', '--expose-gc', ...values['node-option']];
    const child = spawn(process.execPath, [...flags, ...args], {
      env: { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    trackChild(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    return await new Promise((resolve, reject) => {
      child.on('exit', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (code !== 0 || !line) reject(new Error(`the node exited with ${code}:\n${out}`));
        else resolve(JSON.parse(line.slice('RESULT '.length)) as PullNodeResult);
      });
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function startServer(app: Hono): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    );
  });
}

const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : (bytes / MB).toFixed(0));

async function main(): Promise<void> {
  installCleanupHandlers();
  const appointments = Number(values.appointments);
  const shape = makeShape(appointments, 10, Number(values.patients));
  const now = Date.now();
  const pg = await timed(SCOPE, 'PGlite central created', () => PGlite.create());
  const store = await openDatabase(pgliteDatabase(pg));
  const ids = createUuidV7Generator({ now: () => Date.now() });
  const dir = buildDirectoryRows(shape, ids, now, 'central', 'scrypt$bench$hash');
  await timed(SCOPE, 'seeded', async () => {
    await pgInsertDirectory(pg, dir);
    await pgSeedAppointments(pg, dir, shape, tomorrowUtc(now), 'central', SCOPE);
    await pg.exec('ANALYZE');
  });
  const facilities = dir.facilities.slice(0, Number(values.facilities)).map((f) => f.id);
  const app = new Hono();
  app.use('*', compress());
  app.route(
    `/sync/v${PROTOCOL_VERSION}/shape`,
    createShapeRoute({
      source: createShapeSource(store.db),
      authenticate: async (h) =>
        h === `Bearer ${TOKEN}` ? { id: 'bench-node', facilities } : undefined,
      epoch: () => 'bench',
      snapshotPageSize: Number(values['page-size']),
    }),
  );
  const { server, url } = await startServer(app);
  try {
    const wire = await timed(SCOPE, 'wire measured', () => measureWire(url));
    log(SCOPE, 'first sync of a new node (child process)...');
    const tmp = makeTempDir('sync-pull');
    const node = await runNode(url, join(tmp, 'edge.db'));
    const perRow = (bytes: number) => (bytes / Math.max(wire.rows, 1)).toFixed(0);
    const rows = Object.entries(node.rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    console.log(`
Pull benchmark: ${appointments} appointments on central (${shape.facilities} facilities, \
${shape.providers} providers, ${shape.patients} patients); node scope: ${facilities.length} of \
${shape.facilities} facilities; page size ${values['page-size']}, flush every ${values['flush-every']}
Node process: node --max-semi-space-size=4 --expose-gc ${values['node-option'].join(' ')} (MALLOC_ARENA_MAX=2)

Wire, appointments snapshot: ${wire.rows} rows in ${wire.pages} pages
  plain           ${(wire.plain / MB).toFixed(2)} MB = ${perRow(wire.plain)} bytes/appointment
  gzip, as sent   ${(wire.gzipWire / MB).toFixed(2)} MB = ${perRow(wire.gzipWire)} bytes/appointment (hono compress)
  gzip, zlib -6   ${(wire.gzipZlib / MB).toFixed(2)} MB = ${perRow(wire.gzipZlib)} bytes/appointment

First sync of the node (every table into SQLite, real @electric-sql/client):
  time            ${node.seconds.toFixed(2)} s (${node.messages} messages, \
${(node.messages / node.seconds).toFixed(0)}/s)
  rows on node    ${rows}
  node RSS        ${mb(node.rssBeforeBytes)} MB before, peak ${mb(node.rssPeakSampledBytes)} MB \
sampled / ${mb(node.rssPeakKernelBytes)} MB VmHWM; heap used after ${mb(node.heapUsedAfterBytes)} MB
`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    await cleanupAll();
  }
}

await main();
