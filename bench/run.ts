/**
 * `npm run bench`: the booking benchmark of the clinic scheduler.
 *
 * 1. edge over HTTP (a real `clinic edge` process on SQLite, 20k appointments on file,
 *    10 keep-alive clients booking non-conflicting slots) beside raw better-sqlite3
 *    doing the same booking transaction: req/s, p50/p99, server RSS, ratio HTTP/raw,
 *    with the issue's targets (ratio >= 0.5x, p99 <= 25 ms, RSS <= 100 MB);
 * 2. the same for central on PGlite beside raw PGlite (no targets).
 *
 * Prints a table (and PASS/MISS), writes bench/results/latest.json. Servers are killed
 * by pid and temp dirs removed on every exit path, Ctrl+C included. See --help.
 */
import { join } from 'node:path';
import { benchCentral, type CentralResult } from './booking-central';
import { benchEdge, type EdgeResult } from './booking-edge';
import { cleanupAll, installCleanupHandlers } from './lib/cleanup';
import { parseConfig, USAGE, UsageError, type BenchConfig } from './lib/config';
import { makeShape, tomorrowUtc, type Shape } from './lib/dataset';
import { benchCommand, RESULTS_DIR, runBench, writeResults } from './lib/entry';
import { log } from './lib/log';
import { formatProfile } from './lib/profile';
import {
  formatChecks,
  formatTable,
  machineInfo,
  mb,
  type Check,
  type Machine,
  type Row,
} from './lib/report';
import { benchRawPglite, type RawPgliteResult } from './raw-pglite';
import { benchRawSqlite, type RawSqliteResult } from './raw-sqlite';

const TARGETS = { ratio: 0.5, p99Ms: 25, rssBytes: 100 * 2 ** 20 };

interface Results {
  edge?: EdgeResult;
  rawSqlite?: RawSqliteResult;
  central?: CentralResult;
  rawPglite?: RawPgliteResult;
}

const commandLine = (argv: string[]) => benchCommand('bench', 'bench/run.ts', argv);

const OVERLAP_INDEXES = [
  'appointments_provider_start',
  'appointments_patient_start',
  'appointments_facility_start',
];

/** Whether a query plan uses all three (dimension, start_time) indexes of the overlap query. */
function usesOverlapIndexes(plan: string[]): string {
  const text = plan.join('\n');
  const missing = OVERLAP_INDEXES.filter((index) => !text.includes(index));
  return missing.length === 0 ? 'yes' : `NO (missing ${missing.join(', ')})`;
}

function ratio(http: { reqPerSec: number } | undefined, raw: { txPerSec: number } | undefined) {
  return http && raw && raw.txPerSec > 0 ? http.reqPerSec / raw.txPerSec : undefined;
}

function edgeChecks(r: Results): Check[] {
  const checks: Check[] = [];
  const q = ratio(r.edge, r.rawSqlite);
  if (q !== undefined) {
    checks.push({
      name: 'edge throughput vs raw SQLite',
      measured: `${q.toFixed(2)}x`,
      target: `>= ${TARGETS.ratio.toFixed(2)}x`,
      pass: q >= TARGETS.ratio,
    });
  }
  if (r.edge) {
    checks.push({
      name: 'edge p99 latency',
      measured: `${r.edge.latency.p99Ms.toFixed(1)} ms`,
      target: `<= ${TARGETS.p99Ms} ms`,
      pass: r.edge.latency.p99Ms <= TARGETS.p99Ms,
    });
    checks.push({
      name: 'edge server RSS (max under load)',
      measured: mb(r.edge.serverRss.maxBytes),
      target: `<= ${mb(TARGETS.rssBytes)}`,
      pass: r.edge.serverRss.maxBytes <= TARGETS.rssBytes,
    });
    checks.push({
      name: 'edge responses all 201',
      measured: `${r.edge.errors + r.edge.warmupErrors} errors`,
      target: '0 errors',
      pass: r.edge.errors + r.edge.warmupErrors === 0,
    });
  }
  return checks;
}

function report(cfg: BenchConfig, machine: Machine, shape: Shape, r: Results): string {
  const rows: Row[] = [];
  if (r.edge) {
    rows.push({
      name: 'edge     HTTP -> SQLite',
      throughput: r.edge.reqPerSec,
      unit: 'req/s',
      latency: r.edge.latency,
      rssMaxBytes: r.edge.serverRss.maxBytes,
      errors: r.edge.errors,
    });
  }
  if (r.rawSqlite) {
    rows.push({
      name: 'raw      better-sqlite3',
      throughput: r.rawSqlite.txPerSec,
      unit: 'tx/s',
      latency: r.rawSqlite.latency,
      errors: r.rawSqlite.errors,
    });
  }
  if (r.central) {
    rows.push({
      name: 'central  HTTP -> PGlite',
      throughput: r.central.reqPerSec,
      unit: 'req/s',
      latency: r.central.latency,
      rssMaxBytes: r.central.serverRss.maxBytes,
      errors: r.central.errors,
    });
  }
  if (r.rawPglite) {
    rows.push({
      name: 'raw      PGlite',
      throughput: r.rawPglite.txPerSec,
      unit: 'tx/s',
      latency: r.rawPglite.latency,
      errors: r.rawPglite.errors,
    });
  }

  const out: string[] = [];
  out.push(
    '',
    '=== Booking benchmark: POST /api/v1/appointments/ (one booking = one transaction) ===',
  );
  out.push(
    `machine : ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ` +
      `${machine.os}, node ${machine.node}; load average at start ${machine.loadAverage}`,
  );
  out.push(`command : ${commandLine(cfg.argv)}`);
  out.push(
    `workload: ${shape.appointments} appointments on file (${shape.providers} providers, ` +
      `${shape.patients} patients, ${shape.facilities} facilities); HTTP: ${cfg.clients} ` +
      `keep-alive clients, ${cfg.warmup}s warm-up + ${cfg.seconds}s measured; raw: 1 ` +
      `connection, ${cfg.rawWarmup}s warm-up + ${cfg.rawSeconds}s measured`,
  );
  out.push('', formatTable(rows), '');

  const qe = ratio(r.edge, r.rawSqlite);
  const qc = ratio(r.central, r.rawPglite);
  if (r.rawSqlite) {
    const p = r.rawSqlite.fsyncProbe;
    out.push(
      `disk: ${p.commitsPerSec.toFixed(0)} trivial fsync'd commits/s ` +
        `(p50 ${p.latency.p50Ms.toFixed(2)} ms, p99 ${p.latency.p99Ms.toFixed(2)} ms): ` +
        'the floor of every edge booking; it varies between runs on this VM',
    );
  }
  const plans = [
    r.rawSqlite && `SQLite ${usesOverlapIndexes(r.rawSqlite.overlapPlan)}`,
    r.rawPglite && `PGlite ${usesOverlapIndexes(r.rawPglite.overlapPlan)}`,
  ].filter(Boolean);
  if (plans.length) {
    out.push(`overlap query uses the 3 (dimension, start_time) indexes: ${plans.join('; ')}`);
  }
  if (qe !== undefined) out.push(`ratio edge / raw better-sqlite3 : ${qe.toFixed(2)}x`);
  if (qc !== undefined) out.push(`ratio central / raw PGlite      : ${qc.toFixed(2)}x`);
  for (const [name, h] of [
    ['edge', r.edge],
    ['central', r.central],
  ] as const) {
    if (!h) continue;
    out.push(
      `${name.padEnd(7)} server: CPU ${h.serverCpuCores.toFixed(2)} cores, ` +
        `${h.serverCpuMsPerRequest.toFixed(2)} ms CPU/request; RSS idle ${mb(h.idleRssBytes)}, ` +
        `max under load ${mb(h.serverRss.maxBytes)}, peak (VmHWM) ${mb(h.peakRssBytes)}; ` +
        `load generator ${h.clientCpuCores.toFixed(2)} cores`,
    );
  }

  const checks = edgeChecks(r);
  if (checks.length) out.push('', 'targets (edge):', formatChecks(checks));
  if (r.central) {
    out.push(
      '',
      `central (no targets): ratio ${qc === undefined ? '-' : `${qc.toFixed(2)}x`}, ` +
        `p99 ${r.central.latency.p99Ms.toFixed(1)} ms, RSS max ${mb(r.central.serverRss.maxBytes)}`,
    );
  }
  for (const h of [r.edge, r.central]) {
    for (const e of h?.errorSamples ?? []) out.push(`error sample: ${e}`);
  }
  const commands = [r.edge, r.central].flatMap((h) => (h ? [h.serverCommand] : []));
  if (commands.length) out.push('', 'server processes (data dirs were temporary):', ...commands);
  for (const [name, h] of [
    ['edge server', r.edge],
    ['central server', r.central],
  ] as const) {
    if (h?.profile) out.push('', formatProfile(`CPU profile, ${name}`, h.profile));
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  let cfg: BenchConfig | undefined;
  try {
    cfg = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (!cfg) {
    console.log(USAGE);
    return 0;
  }
  installCleanupHandlers();
  const machine = machineInfo();
  const shape = makeShape(cfg.appointments, cfg.clients, cfg.patients);
  const day0 = tomorrowUtc(Date.now());
  const warmupMs = cfg.warmup * 1000;
  const rawWarmupMs = cfg.rawWarmup * 1000;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profDir = (role: string) =>
    cfg.cpuProf ? join(RESULTS_DIR, 'profiles', stamp, role) : undefined;
  log('bench', `${commandLine(cfg.argv)} on ${machine.cores} cores, node ${machine.node}`);

  const started = performance.now();
  const r: Results = {};
  try {
    if (cfg.only !== 'central') {
      r.edge = await benchEdge(shape, day0, warmupMs, cfg.seconds * 1000, {
        cpuProfDir: profDir('edge'),
        nodeOptions: cfg.nodeOptions,
      });
      r.rawSqlite = await benchRawSqlite(shape, day0, rawWarmupMs, cfg.rawSeconds * 1000);
    }
    if (cfg.only !== 'edge') {
      r.central = await benchCentral(shape, day0, warmupMs, cfg.seconds * 1000, {
        cpuProfDir: profDir('central'),
        nodeOptions: cfg.nodeOptions,
      });
      r.rawPglite = await benchRawPglite(shape, day0, rawWarmupMs, cfg.rawSeconds * 1000);
    }
  } finally {
    await cleanupAll();
  }
  const totalSeconds = (performance.now() - started) / 1000;

  console.log(report(cfg, machine, shape, r));
  writeResults(
    'latest.json',
    {
      date: new Date().toISOString(),
      command: commandLine(cfg.argv),
      machine,
      config: { ...cfg, shape, day0: new Date(day0).toISOString() },
      targets: { ...TARGETS, rssMB: TARGETS.rssBytes / 2 ** 20 },
      ratios: {
        edgeVsRawSqlite: ratio(r.edge, r.rawSqlite) ?? null,
        centralVsRawPglite: ratio(r.central, r.rawPglite) ?? null,
      },
      checks: edgeChecks(r),
      results: r,
      totalSeconds,
    },
    totalSeconds,
  );
  const errors = (r.edge?.errors ?? 0) + (r.central?.errors ?? 0);
  return errors > 0 ? 1 : 0;
}

runBench('bench', main, cleanupAll);
