/**
 * The page's weight and the cost of serving its script, on real `clinic edge` processes
 * (bench/lib/server.ts) over a seeded data directory:
 *
 * - weight: `GET /`, `/ui/app.js`, `/ui/app.css` without Accept-Encoding (raw bytes, and
 *   their gzip at level 6 by node:zlib), plus whether the node itself compresses when asked
 *   (`Accept-Encoding: gzip`).
 * - cold build: on each freshly started node, `GET /` and `/ui/app.css` (as a browser asks
 *   them first), a short pause, then the node's VmRSS / VmHWM and its child processes, the
 *   timed first `GET /ui/app.js` (the node bundles the client with esbuild, which runs as its
 *   own child process), and the memory and child processes again right after and 1 s later.
 * - warm: on the last node (kept running for the next phases), `GET /ui/app.js` again,
 *   answered from memory: 200 with the body, and 304 with `If-None-Match`.
 */
import { gzipSync } from 'node:zlib';
import { BENCH_ADMIN } from './http-bench';
import { log } from './log';
import { startServer, type ServerProcess } from './server';
import { summarize, type LatencySummary } from './stats';
import { uiHttpClient, type RawResponse, type UiHttpClient } from './ui-http';
import { descendants, readMemory, type ChildProc, type ProcMemory } from './ui-proc';

export const ASSETS = ['/', '/ui/app.js', '/ui/app.css'] as const;

export interface AssetWeight {
  path: string;
  status: number;
  contentType: string;
  cacheControl: string;
  etag: string;
  rawBytes: number;
  gzipBytes: number;
  /** Content-Encoding the node answers to `Accept-Encoding: gzip, deflate, br`. */
  servedEncoding: string;
  servedBytes: number;
}

export interface ColdStart {
  startupMs: number;
  coldMs: number;
  status: number;
  bundleBytes: number;
  before: ProcMemory;
  afterImmediate: ProcMemory;
  after1s: ProcMemory;
  childrenBefore: ChildProc[];
  childrenImmediate: ChildProc[];
  children1s: ChildProc[];
  /** Children seen while the build ran (polled every 10 ms), by pid. */
  childrenDuring: ChildProc[];
}

export interface AssetResult {
  weights: AssetWeight[];
  cold: ColdStart[];
  coldSummary: LatencySummary;
  warm200: LatencySummary;
  warm304: LatencySummary;
  warm200Min: number;
  warm304Min: number;
  /** Memory of the kept node after the warm requests. */
  afterWarm: ProcMemory;
  serverCommand: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function header(res: RawResponse, name: string): string {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

async function get(client: UiHttpClient, path: string, headers = {}): Promise<RawResponse> {
  const res = await client.request('GET', path, headers);
  if (res.status !== 200 && res.status !== 304) {
    throw new Error(`GET ${path}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
  }
  return res;
}

async function weigh(client: UiHttpClient, path: string): Promise<AssetWeight> {
  const res = await get(client, path);
  const served = await get(client, path, { 'Accept-Encoding': 'gzip, deflate, br' });
  return {
    path,
    status: res.status,
    contentType: header(res, 'content-type'),
    cacheControl: header(res, 'cache-control'),
    etag: header(res, 'etag'),
    rawBytes: res.body.length,
    gzipBytes: gzipSync(res.body, { level: 6 }).length,
    servedEncoding: header(served, 'content-encoding') || 'none',
    servedBytes: served.body.length,
  };
}

/** Polls the node's descendants while `work` runs; every process seen, by pid. */
async function watchChildren<T>(pid: number, work: Promise<T>): Promise<[T, ChildProc[]]> {
  const seen = new Map<number, ChildProc>();
  let done = false;
  const poll = async () => {
    while (!done) {
      for (const p of descendants(pid)) {
        const prev = seen.get(p.pid);
        // Keep the largest RSS seen of each.
        if (!prev || (p.rssBytes ?? 0) > (prev.rssBytes ?? 0)) seen.set(p.pid, p);
      }
      await sleep(10);
    }
  };
  const poller = poll();
  try {
    return [await work, [...seen.values()]];
  } finally {
    done = true;
    await poller;
  }
}

async function coldStart(
  dataDir: string,
  scope: string,
  n: number,
): Promise<{ server: ServerProcess; client: UiHttpClient; cold: ColdStart }> {
  const t0 = performance.now();
  const server = await startServer({ role: 'edge', dataDir, admin: BENCH_ADMIN });
  const startupMs = performance.now() - t0;
  const client = uiHttpClient(server.url);
  try {
    await get(client, '/');
    await get(client, '/ui/app.css');
    await sleep(500);
    const before = readMemory(server.pid);
    const childrenBefore = descendants(server.pid);
    const [res, childrenDuring] = await watchChildren(server.pid, get(client, '/ui/app.js'));
    const afterImmediate = readMemory(server.pid);
    const childrenImmediate = descendants(server.pid);
    await sleep(1000);
    const after1s = readMemory(server.pid);
    const children1s = descendants(server.pid);
    log(
      scope,
      `start ${n}: pid ${server.pid} up in ${startupMs.toFixed(0)} ms; first GET /ui/app.js ` +
        `${res.ms.toFixed(0)} ms (${res.body.length} B); children during build: ` +
        `${childrenDuring.map((c) => `${c.comm}:${c.pid}`).join(', ') || 'none'}, ` +
        `1 s after: ${children1s.map((c) => `${c.comm}:${c.pid}`).join(', ') || 'none'}`,
    );
    return {
      server,
      client,
      cold: {
        startupMs,
        coldMs: res.ms,
        status: res.status,
        bundleBytes: res.body.length,
        before,
        afterImmediate,
        after1s,
        childrenBefore,
        childrenImmediate,
        children1s,
        childrenDuring,
      },
    };
  } catch (err) {
    client.close();
    await server.stop();
    throw err;
  }
}

/**
 * Runs the cold starts (stopping every node but the last), then the weights and the warm
 * requests on the last one, which is returned still running.
 */
export async function benchAssets(
  dataDir: string,
  coldStarts: number,
  warm: number,
  scope: string,
): Promise<{ result: AssetResult; server: ServerProcess }> {
  const cold: ColdStart[] = [];
  let last: Awaited<ReturnType<typeof coldStart>> | undefined;
  for (let i = 1; i <= coldStarts; i += 1) {
    last = await coldStart(dataDir, scope, i);
    cold.push(last.cold);
    if (i < coldStarts) {
      last.client.close();
      await last.server.stop();
    }
  }
  const { server, client } = last!;
  try {
    const weights: AssetWeight[] = [];
    for (const path of ASSETS) weights.push(await weigh(client, path));
    const etag = weights.find((w) => w.path === '/ui/app.js')?.etag ?? '';
    const times200: number[] = [];
    const times304: number[] = [];
    for (let i = 0; i < warm; i += 1) {
      const a = await get(client, '/ui/app.js');
      if (a.status !== 200) throw new Error(`warm GET /ui/app.js answered ${a.status}`);
      times200.push(a.ms);
      const b = await get(client, '/ui/app.js', { 'If-None-Match': etag });
      if (b.status !== 304) throw new Error(`GET /ui/app.js If-None-Match answered ${b.status}`);
      times304.push(b.ms);
    }
    return {
      server,
      result: {
        weights,
        cold,
        coldSummary: summarize(cold.map((c) => c.coldMs)),
        warm200: summarize(times200),
        warm304: summarize(times304),
        warm200Min: Math.min(...times200),
        warm304Min: Math.min(...times304),
        afterWarm: readMemory(server.pid),
        serverCommand: server.command,
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    client.close();
  }
}
