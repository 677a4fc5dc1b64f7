/**
 * `npm run bench:ui`: what the web UI of a clinic node costs (docs/UI.md).
 *
 * A clinic node's data directory is seeded as the booking benchmark seeds it (20k
 * appointments on file by default; bench/lib/ui-seed.ts), then real `clinic edge`
 * processes serve it:
 *
 * 1. page weight: `/`, `/ui/app.js`, `/ui/app.css`, raw and gzip -6, and the first visit's
 *    total (what a slow clinic link carries);
 * 2. the client bundle: the first `GET /ui/app.js` on freshly started nodes (esbuild
 *    bundles the client then, in a child process) against warm ones (200 and 304), with
 *    the node's VmRSS / VmHWM before and after and the child processes it has;
 * 3. the schedule query the page makes (facility day and week, every page of 100, cookie
 *    session), p50/p99 over sequential fetches, beside the same range read straight from
 *    the SQLite file with better-sqlite3;
 * 4. Debian's Chromium: load to the login form (cold and warm cache), "Log in" to the
 *    Schedule day list, "View" = Week to the week table; median of N runs.
 *
 * Prints tables, writes bench/results/ui-latest.json. Servers are killed by pid and temp
 * dirs removed on every exit path (bench/lib/cleanup.ts). See --help.
 */
import { cleanupAll, installCleanupHandlers, removeTempDir } from './lib/cleanup';
import { makeShape, seedDays, tomorrowUtc, type Shape } from './lib/dataset';
import { benchCommand, runBench, writeResults } from './lib/entry';
import { log } from './lib/log';
import { formatColumns, machineInfo, type Machine } from './lib/report';
import { PROVIDER_PASSWORD } from './lib/seed';
import type { ServerProcess } from './lib/server';
import { summarize, type LatencySummary } from './lib/stats';
import { benchAssets, type AssetResult } from './lib/ui-assets';
import { benchBrowser, type ApiCall, type BrowserResult } from './lib/ui-browser';
import { parseUiConfig, UI_USAGE, UiUsageError, type UiBenchConfig } from './lib/ui-config';
import {
  describeProcs,
  descendants,
  readMemory,
  type ChildProc,
  type ProcMemory,
} from './lib/ui-proc';
import { benchRawRanges, type RawRangeResult } from './lib/ui-raw';
import { benchScheduleHttp, type HttpRangeResult } from './lib/ui-schedule';
import { seedEdgeDataDir } from './lib/ui-seed';
import { uiRanges, type ScheduleRange } from './lib/ui-zone';

const SCOPE = 'ui';
/** The booking benchmark's shape: 10 clients (so 50 providers), 2000 patients. */
const CLIENTS = 10;
const PATIENTS = 2000;

interface UiResults {
  seed?: { seconds: number; dbBytes: number };
  facility?: { id: string; name: string; timezone: string };
  user?: string;
  ranges?: ScheduleRange[];
  assets?: AssetResult;
  http?: { loginMs: number; results: HttpRangeResult[] };
  raw?: RawRangeResult[];
  /** Whether HTTP and raw returned the same ids in the same order, per range. */
  sameRows?: Record<string, boolean>;
  browser?: BrowserResult;
  browserError?: string;
  end?: { memory: ProcMemory; children: ChildProc[] };
}

const commandLine = (argv: string[]) => benchCommand('bench:ui', 'bench/ui.ts', argv);

const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0));
const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));
const f2 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const mib = (n: number | undefined) => (n === undefined ? '-' : `${(n / 2 ** 20).toFixed(1)} MB`);
const signedMib = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined
    ? '-'
    : `${b - a >= 0 ? '+' : ''}${((b - a) / 2 ** 20).toFixed(1)} MB`;
const ratio = (a: number, b: number) =>
  b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(1)}x` : '-';

function median(values: number[]): number {
  return summarize(values.filter(Number.isFinite)).p50Ms;
}

function weightSection(a: AssetResult): string[] {
  const rows = a.weights.map((w) => [
    w.path,
    String(w.status),
    w.contentType.split(';')[0] ?? '',
    String(w.rawBytes),
    String(w.gzipBytes),
    `${((w.gzipBytes / w.rawBytes) * 100).toFixed(0)}%`,
    w.servedEncoding,
  ]);
  const raw = a.weights.reduce((s, w) => s + w.rawBytes, 0);
  const gz = a.weights.reduce((s, w) => s + w.gzipBytes, 0);
  rows.push([
    'first visit (3 files)',
    '',
    '',
    String(raw),
    String(gz),
    `${((gz / raw) * 100).toFixed(0)}%`,
    '',
  ]);
  const encodings = [...new Set(a.weights.map((w) => w.servedEncoding))];
  const compressed = encodings.every((e) => e !== 'none');
  const cache = a.weights.map(
    (w) => `${w.path}: ${w.cacheControl || '-'}, ${w.etag ? 'ETag' : 'no ETag'}`,
  );
  return [
    '1. Page weight (bytes; gzip = node:zlib level 6 of the same body)',
    formatColumns(
      ['asset', 'status', 'type', 'raw B', 'gzip B', 'gzip/raw', 'node sends (gzip asked)'],
      rows,
    ),
    `first visit: ${kb(raw)} raw, ${kb(gz)} gzip. Asked with Accept-Encoding: gzip the node ` +
      `answers Content-Encoding: ${encodings.join('/')}` +
      (compressed ? '.' : `: the raw ${kb(raw)} is what crosses the link today.`),
    `caching: ${cache.join('; ')} (a later visit revalidates: 304 where there is an ETag, ` +
      'the whole body where there is none)',
  ];
}

function buildSection(a: AssetResult, cfg: UiBenchConfig): string[] {
  const lat = (name: string, n: number, l: LatencySummary, min: number) => [
    name,
    String(n),
    f2(l.p50Ms),
    f2(l.meanMs),
    f2(min),
    f2(l.maxMs),
  ];
  const rows = [
    lat(
      'first GET /ui/app.js, fresh node (esbuild)',
      a.cold.length,
      a.coldSummary,
      Math.min(...a.cold.map((c) => c.coldMs)),
    ),
    lat('warm GET /ui/app.js -> 200 (from memory)', cfg.warm, a.warm200, a.warm200Min),
    lat('warm GET /ui/app.js If-None-Match -> 304', cfg.warm, a.warm304, a.warm304Min),
  ];
  const out = [
    '2. Client bundle: first GET /ui/app.js builds it with esbuild; later ones are served from memory',
    formatColumns(['request', 'n', 'median ms', 'mean ms', 'min ms', 'max ms'], rows),
    `cold / warm 200 (medians): ${ratio(a.coldSummary.p50Ms, a.warm200.p50Ms)}; ` +
      `cold / 304: ${ratio(a.coldSummary.p50Ms, a.warm304.p50Ms)}; cold starts: ` +
      a.cold.map((c) => `${c.coldMs.toFixed(0)} ms`).join(', ') +
      ` (node startup ${a.cold.map((c) => c.startupMs.toFixed(0)).join(', ')} ms)`,
    '',
  ];
  const memRows = a.cold.map((c, i) => [
    `start ${i + 1}`,
    mib(c.before.rssBytes),
    mib(c.afterImmediate.rssBytes),
    mib(c.after1s.rssBytes),
    signedMib(c.before.rssBytes, c.after1s.rssBytes),
    mib(c.before.hwmBytes),
    mib(c.after1s.hwmBytes),
    signedMib(c.before.hwmBytes, c.after1s.hwmBytes),
  ]);
  out.push(
    'node process memory around the first GET /ui/app.js (VmRSS / VmHWM of the node pid; children not included)',
    formatColumns(
      [
        'node',
        'RSS before',
        'RSS right after',
        'RSS +1 s',
        'RSS delta',
        'HWM before',
        'HWM +1 s',
        'HWM delta',
      ],
      memRows,
    ),
    `after ${cfg.warm}x2 warm requests: RSS ${mib(a.afterWarm.rssBytes)}, HWM ${mib(a.afterWarm.hwmBytes)}`,
    '',
    'child processes of the node pid:',
  );
  a.cold.forEach((c, i) => {
    out.push(
      `  start ${i + 1}: before: ${describeProcs(c.childrenBefore)} | during the build (max RSS seen): ` +
        `${describeProcs(c.childrenDuring)} | right after the response: ${describeProcs(c.childrenImmediate)} | ` +
        `1 s later: ${describeProcs(c.children1s)}`,
    );
  });
  const during = a.cold.flatMap((c) => c.childrenDuring);
  const left = a.cold.flatMap((c) => c.children1s);
  out.push(
    during.length === 0
      ? '  no child process was seen during the build (polled every 10 ms)'
      : left.length === 0
        ? `  esbuild ran as a child (up to ${mib(Math.max(...during.map((p) => p.rssBytes ?? 0)))} RSS) and was gone 1 s after the build`
        : `  a child process is STILL RUNNING 1 s after the build: ${describeProcs(left)}`,
  );
  return out;
}

function scheduleSection(r: UiResults, cfg: UiBenchConfig): string[] {
  const http = r.http?.results ?? [];
  const raw = r.raw ?? [];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const range of r.ranges ?? []) {
    const h = http.find((x) => x.range === range.label);
    const plain = raw.find((x) => x.range === range.label && x.variant === 'plain');
    const store = raw.find((x) => x.range === range.label && x.variant === 'store SQL');
    const label = `${range.label} ${range.date}${range.days > 1 ? ` +${range.days - 1}d` : ''}`;
    if (h) {
      rows.push([
        `${label}  HTTP GET, cookie, all pages`,
        String(h.rows),
        String(h.pages),
        `${kb(h.jsonBytes)} (${kb(h.jsonGzipBytes)} gz)`,
        f2(h.latency.p50Ms),
        f2(h.latency.p90Ms),
        f2(h.latency.p99Ms),
        f1(h.latency.maxMs),
      ]);
    }
    for (const x of [plain, store]) {
      if (!x) continue;
      rows.push([
        `${label}  raw better-sqlite3, ${x.variant === 'plain' ? 'plain range' : 'store SQL (count+joined page)'}`,
        String(x.rows),
        x.variant === 'plain' ? '1' : String(h?.pages ?? '-'),
        '',
        f2(x.latency.p50Ms),
        f2(x.latency.p90Ms),
        f2(x.latency.p99Ms),
        f1(x.latency.maxMs),
      ]);
    }
    if (h && plain) {
      notes.push(
        `${range.label}: HTTP / raw plain  p50 ${ratio(h.latency.p50Ms, plain.latency.p50Ms)}, ` +
          `p99 ${ratio(h.latency.p99Ms, plain.latency.p99Ms)}` +
          (store
            ? `; HTTP / raw store SQL p50 ${ratio(h.latency.p50Ms, store.latency.p50Ms)}, ` +
              `p99 ${ratio(h.latency.p99Ms, store.latency.p99Ms)}`
            : '') +
          `; ${f2(h.perRequestMeanMs)} ms mean per HTTP request; same ids in the same order as raw: ` +
          `${r.sameRows?.[range.label] ? 'yes' : 'NO'}`,
      );
    }
  }
  const fac = r.facility;
  return [
    `3. Schedule query, ${fac ? `${fac.name} (${fac.timezone})` : ''}: ${cfg.requests} sequential fetches per row after 20 unmeasured`,
    formatColumns(
      ['range / path', 'rows', 'pages', 'JSON', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      rows,
    ),
    ...notes,
    ...(r.ranges ?? []).map(
      (g) =>
        `${g.label}: start_time >= ${new Date(g.from).toISOString()} and < ${new Date(g.before).toISOString()} ` +
        `(local midnight to midnight; rows include cancelled / completed / no-show, as the page shows them)`,
    ),
    `raw plan (plain, week): ${raw.find((x) => x.variant === 'plain')?.plan.join(' | ') ?? '-'}`,
    `raw plan (store page): ${raw.find((x) => x.variant === 'store SQL')?.plan.join(' | ') ?? '-'}`,
    r.http ? `HTTP session login (POST /api/v1/auth/session/): ${f0(r.http.loginMs)} ms` : '',
  ];
}

/** `what @start+duration` medians over the runs, per request (in order of the first run). */
function apiTimeline(calls: ApiCall[][]): string {
  const order = [...new Set(calls.flatMap((c) => c.map((x) => x.what)))];
  return order
    .map((what) => {
      const mine = calls.flatMap((c) => c.filter((x) => x.what === what));
      const start = median(mine.map((x) => x.startMs));
      const duration = median(mine.map((x) => x.durationMs));
      return `${what} @${f0(start)}+${f0(duration)}`;
    })
    .join(', ');
}

function browserSection(r: UiResults, cfg: UiBenchConfig): string[] {
  if (cfg.noBrowser) return ['4. Browser: skipped (--no-browser)'];
  if (!r.browser) return [`4. Browser: FAILED: ${r.browserError ?? 'not run'}`];
  const runs = r.browser.runs;
  const step = (name: string, driver: number[], inPage: number[]) => [
    name,
    f0(median(driver)),
    f0(Math.min(...driver)),
    f0(Math.max(...driver)),
    f0(median(inPage)),
    driver.map((d) => d.toFixed(0)).join(' '),
  ];
  const rows = [
    step(
      'goto / -> login form, cold cache',
      runs.map((x) => x.coldMs),
      runs.map((x) => x.coldInPageMs),
    ),
    step(
      'goto / -> login form, warm cache',
      runs.map((x) => x.warmMs),
      runs.map((x) => x.warmInPageMs),
    ),
    step(
      'click Log in -> Schedule + day list',
      runs.map((x) => x.loginMs),
      runs.map((x) => x.loginInPageMs),
    ),
    step(
      'View = Week -> week table',
      runs.map((x) => x.weekMs),
      runs.map((x) => x.weekInPageMs),
    ),
  ];
  const first = runs[0];
  return [
    `4. Browser: Chromium ${r.browser.chromium} headless, 1366x768, a fresh context per run, ${runs.length} runs, as ${r.user ?? '?'}`,
    formatColumns(
      ['step', 'median ms', 'min', 'max', 'in-page median ms', 'runs (driver ms)'],
      rows,
    ),
    'driver = from the Playwright call to the element visible (CDP round trips and polling included); ' +
      'in-page = MutationObserver, from navigation start / the click / the change event to the element in the DOM',
    first
      ? `rows shown: day list ${first.dayItems}, week table ${first.weekItems}; cold load requests: ` +
        `${first.coldRequests.join(', ')}; warm: ${first.warmRequests.join(', ')}`
      : '',
    `page's API requests after the click (in-page Resource Timing, medians, path @start+duration ms): ` +
      apiTimeline(runs.map((x) => x.loginApi)),
    `page's API requests after View = Week: ${apiTimeline(runs.map((x) => x.weekApi))}`,
    r.browser.pageErrors.length
      ? `page errors: ${r.browser.pageErrors.slice(0, 5).join(' | ')}`
      : 'page errors: none',
  ];
}

function report(cfg: UiBenchConfig, machine: Machine, shape: Shape, r: UiResults): string {
  const { days, pastDays } = seedDays(shape);
  const out: string[] = [
    '',
    '=== Web UI benchmark: a clinic node (clinic edge, SQLite) serving its browser UI ===',
    `machine : ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ` +
      `${machine.os}, node ${machine.node}; load average at start ${machine.loadAverage}`,
    `command : ${commandLine(cfg.argv)}`,
    `workload: ${shape.appointments} appointments on file (${shape.providers} providers, ` +
      `${shape.patients} patients, ${shape.facilities} facilities; ${days} days around tomorrow, ` +
      `${pastDays} of them past)${r.seed ? `, db ${mib(r.seed.dbBytes)}, seeded in ${r.seed.seconds.toFixed(1)}s` : ''}`,
    '',
  ];
  if (r.assets) out.push(...weightSection(r.assets), '', ...buildSection(r.assets, cfg), '');
  if (r.ranges) out.push(...scheduleSection(r, cfg), '');
  out.push(...browserSection(r, cfg));
  if (r.end) {
    out.push(
      '',
      `node at the end (after the schedule load and the browser runs): RSS ${mib(r.end.memory.rssBytes)}, ` +
        `VmHWM ${mib(r.end.memory.hwmBytes)}; child processes: ${describeProcs(r.end.children)}`,
    );
  }
  if (r.assets) out.push('', 'server process (data dir was temporary):', r.assets.serverCommand);
  return out.join('\n');
}

function sameIds(a: string[] | undefined, b: string[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((id, i) => id === b[i]);
}

async function main(): Promise<number> {
  let cfg: UiBenchConfig | undefined;
  try {
    cfg = parseUiConfig(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UiUsageError)) throw err;
    console.error(`bench:ui: ${err.message}\n\n${UI_USAGE}`);
    return 2;
  }
  if (!cfg) {
    console.log(UI_USAGE);
    return 0;
  }
  installCleanupHandlers();
  const machine = machineInfo();
  const shape = makeShape(cfg.appointments, CLIENTS, PATIENTS);
  const day0 = tomorrowUtc(Date.now());
  log('bench', `${commandLine(cfg.argv)} on ${machine.cores} cores, node ${machine.node}`);

  const started = performance.now();
  const r: UiResults = {};
  let server: ServerProcess | undefined;
  let failed = false;
  try {
    const seeded = await seedEdgeDataDir(shape, day0, SCOPE);
    r.seed = { seconds: seeded.seedSeconds, dbBytes: seeded.dbBytes };
    const facility = seeded.dir.facilities[0]!;
    const provider = seeded.dir.providers.find((p) => p.facilities.includes(facility.id))!;
    const user = { username: provider.username, password: PROVIDER_PASSWORD };
    r.facility = { id: facility.id, name: facility.name, timezone: facility.timezone };
    r.user = `${user.username} (provider)`;
    r.ranges = uiRanges(Date.now(), facility.timezone);

    const assets = await benchAssets(seeded.dataDir, cfg.coldStarts, cfg.warm, SCOPE);
    server = assets.server;
    r.assets = assets.result;

    r.http = await benchScheduleHttp(server.url, user, facility.id, r.ranges, cfg.requests, SCOPE);
    r.raw = benchRawRanges(seeded.dbFile, facility.id, r.ranges, cfg.requests);
    r.sameRows = {};
    for (const g of r.ranges) {
      const h = r.http.results.find((x) => x.range === g.label);
      const plain = r.raw.find((x) => x.range === g.label && x.variant === 'plain');
      const store = r.raw.find((x) => x.range === g.label && x.variant === 'store SQL');
      r.sameRows[g.label] = sameIds(h?.ids, plain?.ids) && sameIds(h?.ids, store?.ids);
    }
    log(SCOPE, `raw better-sqlite3 done (${cfg.requests} per range and variant)`);

    if (!cfg.noBrowser) {
      try {
        r.browser = await benchBrowser(server.url, user, cfg.runs, SCOPE);
      } catch (err) {
        failed = true;
        r.browserError = (err as Error).message.split('\n').slice(0, 6).join('\n');
        log(SCOPE, `browser failed: ${r.browserError}`);
      }
    }
    r.end = { memory: readMemory(server.pid), children: descendants(server.pid) };
    await server.stop();
    removeTempDir(seeded.dataDir);
  } catch (err) {
    const output = server?.output().trim();
    if (output) (err as Error).message += `\n--- edge output ---\n${output.slice(-4000)}`;
    throw err;
  } finally {
    await cleanupAll();
  }
  const totalSeconds = (performance.now() - started) / 1000;

  console.log(report(cfg, machine, shape, r));
  // The ids were for the cross-check only.
  const strip = <T extends { ids: string[] }>(x: T) => ({
    ...x,
    ids: undefined,
    idCount: x.ids.length,
  });
  writeResults(
    'ui-latest.json',
    {
      date: new Date().toISOString(),
      command: commandLine(cfg.argv),
      machine,
      config: { ...cfg, shape, day0: new Date(day0).toISOString() },
      results: {
        ...r,
        ranges: r.ranges?.map((g) => ({
          ...g,
          fromIso: new Date(g.from).toISOString(),
          beforeIso: new Date(g.before).toISOString(),
        })),
        http: r.http && { ...r.http, results: r.http.results.map(strip) },
        raw: r.raw?.map(strip),
      },
      totalSeconds,
    },
    totalSeconds,
  );
  return failed ? 1 : 0;
}

runBench('bench:ui', main, cleanupAll);
