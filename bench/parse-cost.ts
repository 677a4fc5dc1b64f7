/**
 * What hostile JSON bodies cost, before and after the bounds of domain/json-bounds.ts.
 *
 * 1. In process, the parse step alone. "Before" is what the code did: JSON.parse of the
 *    API body (hono's validator), or central's old push parse (inflate all of a gzip body,
 *    up to 16 MB, then JSON.parse). "After" is the code now: the API's bound check
 *    (checkJsonBounds, then JSON.parse when within bounds) and the push route's
 *    readPushBody. The largest valid push (200 `notifications.put` of 64 rows) shows
 *    what the check adds to a legitimate body.
 * 2. Over HTTP, a real `clinic central` process: the push gzip bomb and a 1 MB nested
 *    body to the public login route, with /healthz polled meanwhile (how long central's
 *    event loop was held).
 *
 *   npx tsx bench/parse-cost.ts
 *
 * Writes bench/results/parse-cost.json.
 */
import { checkJsonBounds, parseBoundedJson } from '@clinic/domain';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { API_JSON_BOUNDS } from '../packages/api/src/validation';
import { readPushBody } from '../sync/src/central/push-body';
import { cleanupAll, installCleanupHandlers, makeTempDir } from './lib/cleanup';
import { benchCommand, runBench, writeResults } from './lib/entry';
import { machineInfo } from './lib/report';
import { startServer } from './lib/server';

const OLD_MAX_INFLATED_BYTES = 16 * 1024 * 1024;

/** Central's push parse as it was: inflate everything (bounded by size only), then parse. */
async function legacyGunzipJson(gz: Uint8Array): Promise<unknown> {
  const body = new Blob([gz]).stream();
  const reader = body.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > OLD_MAX_INFLATED_BYTES) {
      await reader.cancel();
      throw new Error('inflated push body too large');
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const gzipRequest = (gz: Uint8Array) =>
  new Request('http://central.test/sync/v3/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gz,
  });

/** Median wall time of `runs` calls, in ms; a throw counts as a finished call. */
async function time(runs: number, f: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    try {
      await f();
    } catch {
      // refused: the time to refuse is what is measured
    }
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}

const MB = 1024 * 1024;
const nestedArrays = (bytes: number) => '['.repeat(bytes / 2) + ']'.repeat(bytes / 2);
const nestedObjects = (bytes: number) => {
  const levels = Math.floor(bytes / 6);
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
};
const wideArray = (bytes: number) => `[${'0,'.repeat(bytes / 2 - 1)}0]`;
/** Within every bound: what a 16 MB body still costs to parse. */
const stringArray = (bytes: number) => {
  const item = `"${'x'.repeat(254)}"`;
  return `[${new Array(Math.floor(bytes / (item.length + 1))).fill(item).join(',')}]`;
};

/** The largest valid push: 200 `notifications.put` of 64 rows (~600 bytes each). */
function largestPush(): string {
  const now = Date.now();
  const row = () => ({
    id: randomUUID(),
    appointment_id: randomUUID(),
    event: 'booked',
    recipient: 'patient',
    channel: 'email',
    address: 'patient.name@example.org',
    dedupe_key: `booked:${randomUUID()}:patient:email`,
    status: 'pending',
    attempts: 0,
    created_at: now,
    sent_at: null,
    owner: randomUUID(),
    next_attempt_at: now,
    last_error: null,
    conflict_id: null,
    reminder_for: null,
    updated_at: now,
  });
  const mutations = Array.from({ length: 200 }, (_, i) => ({
    seq: i + 1,
    kind: 'notifications.put',
    entity_id: randomUUID(),
    hlc: `${now}:0000:${randomUUID()}`,
    args: { rows: Array.from({ length: 64 }, row) },
  }));
  return JSON.stringify({ protocol_version: 3, node_id: randomUUID(), backlog: 0, mutations });
}

interface Row {
  case: string;
  bytes: number;
  gzipBytes?: number;
  beforeMs: number;
  afterMs: number;
  ratio: number;
  after: string;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));

async function inProcess(): Promise<Row[]> {
  const rows: Row[] = [];
  const add = (row: Omit<Row, 'ratio'>) => {
    const ratio = row.beforeMs / Math.max(row.afterMs, 0.01);
    const full = { ...row, ratio: ratio >= 10 ? Math.round(ratio) : Math.round(ratio * 10) / 10 };
    rows.push(full);
    console.log(
      `${row.case.padEnd(44)} ${(row.bytes / MB).toFixed(1).padStart(5)} MB` +
        `${row.gzipBytes ? ` (gz ${(row.gzipBytes / 1024).toFixed(0)} KB)` : ''}`.padEnd(14) +
        `  before ${fmt(row.beforeMs).padStart(7)} ms   after ${fmt(row.afterMs).padStart(7)} ms` +
        `   x${full.ratio}   ${row.after}`,
    );
  };

  console.log('\n1. The parse step, in process (median; 1 run when it takes seconds)\n');
  for (const [name, text] of [
    ['API: nested arrays', nestedArrays(MB)],
    ['API: nested objects', nestedObjects(MB)],
    ['API: wide array [0,0,...]', wideArray(MB)],
  ] as const) {
    const result = parseBoundedJson(text, API_JSON_BOUNDS);
    add({
      case: name,
      bytes: text.length,
      beforeMs: await time(3, () => JSON.parse(text)),
      afterMs: await time(5, () => parseBoundedJson(text, API_JSON_BOUNDS)),
      after: result.ok ? 'parsed' : `refused: ${result.reason}`,
    });
  }

  for (const [name, text, runs] of [
    ['push gzip: nested arrays', nestedArrays(16 * MB), 1],
    ['push gzip: nested objects', nestedObjects(16 * MB), 1],
    ['push gzip: wide array [0,0,...]', wideArray(16 * MB), 1],
    ['push gzip: 16 MB of strings (within bounds)', stringArray(16 * MB - 1024), 3],
    ['push gzip: largest valid batch', largestPush(), 3],
  ] as const) {
    const gz = gzipSync(text, { level: 9 });
    const result = await readPushBody(gzipRequest(gz));
    add({
      case: name,
      bytes: text.length,
      gzipBytes: gz.length,
      beforeMs: await time(runs, () => legacyGunzipJson(gz)),
      afterMs: await time(Math.max(3, runs), () => readPushBody(gzipRequest(gz))),
      after: result.ok ? 'parsed' : `refused ${result.status}: ${result.detail}`,
    });
  }

  const legit = JSON.stringify({ pad: 'x'.repeat(MB - 20) });
  const scanMs = await time(9, () => checkJsonBounds(legit, API_JSON_BOUNDS));
  const parseMs = await time(9, () => JSON.parse(legit));
  console.log(
    `\nbound check on a 1 MB body within bounds: ${fmt(scanMs)} ms (JSON.parse of it: ${fmt(parseMs)} ms)`,
  );
  return rows;
}

interface HttpRow {
  case: string;
  requestMs: number;
  status: number;
  healthzMaxMs: number;
  healthzSamples: number;
}

/** Sends `send()` while polling /healthz back to back; the slowest /healthz is the stall. */
async function underLoad(
  url: string,
  send: () => Promise<Response>,
): Promise<Omit<HttpRow, 'case'>> {
  let done = false;
  const health: number[] = [];
  const poller = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      health.push(performance.now() - started);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  const res = await send();
  await res.arrayBuffer();
  const requestMs = performance.now() - started;
  done = true;
  await poller;
  return {
    requestMs,
    status: res.status,
    healthzMaxMs: Math.max(...health),
    healthzSamples: health.length,
  };
}

async function overHttp(): Promise<HttpRow[]> {
  console.log('\n2. Over HTTP, a `clinic central` process (after only)\n');
  const admin = { username: 'bench-admin', password: 'bench-admin-password-1' };
  const central = await startServer({ role: 'central', dataDir: makeTempDir('parse'), admin });
  try {
    const call = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${central.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, string>;
    };
    const { access } = await call('/api/v1/auth/token/', admin);
    const facility = await call(
      '/api/v1/facilities/',
      { name: 'Bench clinic', timezone: 'Africa/Nairobi', capacity: 1 },
      access,
    );
    const node = await call('/api/v1/nodes/', { name: 'bench', facilities: [facility.id] }, access);
    const bomb = gzipSync(nestedArrays(16 * MB), { level: 9 });
    const rows: HttpRow[] = [];
    const cases: [string, () => Promise<Response>][] = [
      [
        'push: 16 KB gzip of 16 MB nested arrays',
        () =>
          fetch(`${central.url}/sync/v3/push`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              authorization: `Bearer ${node.token}`,
            },
            body: bomb,
          }),
      ],
      [
        'login: 1 MB of nested arrays',
        () =>
          fetch(`${central.url}/api/v1/auth/token/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: nestedArrays(MB),
          }),
      ],
    ];
    for (const [name, send] of cases) {
      const row = { case: name, ...(await underLoad(central.url, send)) };
      rows.push(row);
      console.log(
        `${name.padEnd(44)} answered ${row.status} in ${fmt(row.requestMs).padStart(6)} ms;` +
          ` slowest /healthz meanwhile ${fmt(row.healthzMaxMs)} ms (${row.healthzSamples} polls)`,
      );
    }
    return rows;
  } finally {
    await central.stop();
  }
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  installCleanupHandlers();
  const command = benchCommand('bench:parse', 'bench/parse-cost.ts', process.argv.slice(2));
  const machine = machineInfo();
  console.log(
    `${command}\n${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage}`,
  );
  const parse = await inProcess();
  const http = await overHttp();
  await cleanupAll();
  writeResults(
    'parse-cost.json',
    { command, machine, bounds: { api: API_JSON_BOUNDS }, parse, http },
    (performance.now() - startedAt) / 1000,
  );
  return 0;
}

runBench('parse-cost', main, cleanupAll);
