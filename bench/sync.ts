/**
 * `npm run bench:sync`: the sync benchmarks of the clinic scheduler (sync/SPEC.md).
 *
 * 1. reconcile: central's push throughput. A real `clinic central` on a seeded database
 *    (100k appointments on file; PGlite, and a PostgreSQL server when a URL is given), a
 *    node enrolled for some facilities, N mutations (70% bookings, 20% changes, 10%
 *    cancellations, some overlapping on purpose) pushed over POST /sync/v3/push in
 *    batches of 200: mutations per second, beside the raw per-row rate of the same
 *    database (BEGIN; overlap SELECT; INSERT; COMMIT) and their ratio (target >= 0.5x).
 * 2. push-bytes: JSON bytes per appointment.put in a push body, plain and gzip (target
 *    <= 200 B gzip).
 * 3. catchup: a real `clinic edge` makes 1,000 bookings while central is down; time from
 *    central's restart to an empty outbox, and the node's RSS meanwhile (target <= 100 MB).
 *
 * Prints a table, writes bench/results/sync-latest.json. Every process binds 127.0.0.1
 * and is stopped by pid, temp dirs are removed and the PostgreSQL database is dropped,
 * however the run ends. No assertions: targets are shown, a miss does not fail the run.
 */
import { join } from 'node:path';
import { makeShape, tomorrowUtc, type Shape } from './lib/dataset';
import { benchCommand, RESULTS_DIR, runBench, writeResults } from './lib/entry';
import { log } from './lib/log';
import { formatProfile } from './lib/profile';
import { formatChecks, machineInfo, mb, type Check, type Machine } from './lib/report';
import { benchPushBytes, type PushBytesResult } from './lib/sync-bytes';
import { benchCatchup, type CatchupResult } from './lib/sync-catchup';
import {
  preparePgliteCentral,
  preparePostgresCentral,
  type CentralDb,
  type SeedReport,
} from './lib/sync-central-db';
import { installSyncCleanupHandlers, syncCleanupAll, wasInterrupted } from './lib/sync-cleanup';
import {
  parseSyncConfig,
  SYNC_USAGE,
  SyncUsageError,
  type SyncBenchConfig,
} from './lib/sync-config';
import { EveningSlots, nodeScope } from './lib/sync-mutations';
import { benchRawPerRow, type RawPerRowResult } from './lib/sync-raw';
import { benchReconcile, type ReconcileResult } from './lib/sync-reconcile';

const TARGETS = { ratio: 0.5, gzipBytesPerMutation: 200, nodeRssBytes: 100 * 2 ** 20 };

interface ReconcileEntry {
  database: string;
  where?: string;
  seed?: SeedReport;
  reconcile?: ReconcileResult;
  raw?: RawPerRowResult;
  ratio?: number;
  error?: string;
}

interface SyncResults {
  pushBytes?: PushBytesResult;
  reconcile: ReconcileEntry[];
  catchup?: CatchupResult | { error: string };
  notes: string[];
}

const commandLine = (argv: string[]) => benchCommand('bench:sync', 'bench/sync.ts', argv);

const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0));
const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));
const f2 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function checks(r: SyncResults): Check[] {
  const out: Check[] = [];
  for (const e of r.reconcile) {
    if (e.ratio === undefined) continue;
    out.push({
      name: `reconcile ${e.database.split(' ')[0]} vs raw per-row`,
      measured: `${e.ratio.toFixed(2)}x`,
      target: `>= ${TARGETS.ratio.toFixed(2)}x`,
      pass: e.ratio >= TARGETS.ratio,
    });
  }
  if (r.pushBytes) {
    const g = r.pushBytes.mix.gzipPerMutation;
    out.push({
      name: 'push bytes per appointment.put (gzip, mix)',
      measured: `${g.toFixed(0)} B`,
      target: `<= ${TARGETS.gzipBytesPerMutation} B`,
      pass: g <= TARGETS.gzipBytesPerMutation,
    });
  }
  if (r.catchup && !('error' in r.catchup)) {
    const rss = r.catchup.nodeRss.maxBytes;
    out.push({
      name: 'node RSS during catch-up (max)',
      measured: mb(rss),
      target: `<= ${mb(TARGETS.nodeRssBytes)}`,
      pass: rss <= TARGETS.nodeRssBytes,
    });
  }
  return out;
}

function reconcileSection(cfg: SyncBenchConfig, shape: Shape, r: SyncResults): string[] {
  const out: string[] = [];
  const first = r.reconcile.find((e) => e.reconcile)?.reconcile;
  out.push('', '1. Central reconcile throughput: POST /sync/v3/push, one batch of 200 at a time');
  if (first) {
    const i = first.intents;
    out.push(
      `   node enrolled for ${first.node.facilities} of ${shape.facilities} facilities ` +
        `(${first.node.providers} providers, ${first.node.patients} patients); ` +
        `${first.mutations} mutations measured after ${first.warmup.mutations} warm-up: ` +
        `${i.book} bookings + ${i['book-overlap']} overlapping bookings, ` +
        `${i.reschedule} reschedules + ${i['reschedule-overlap']} onto a booked visit, ` +
        `${i['edit-details']} detail edits + ${i['edit-details-stale']} from a stale copy, ` +
        `${i.cancel} cancellations`,
    );
  }
  const rows = r.reconcile.map((e) => {
    const x = e.reconcile;
    return [
      e.database,
      x ? f0(x.mutationsPerSec) : 'error',
      x ? f0(x.batchLatency.p50Ms) : '-',
      x ? f0(x.batchLatency.maxMs) : '-',
      e.raw ? f0(e.raw.txPerSec) : '-',
      e.raw ? f2(e.raw.latency.p50Ms) : '-',
      e.ratio === undefined ? '-' : `${e.ratio.toFixed(2)}x`,
      x ? f2(x.serverCpuMsPerMutation) : '-',
      x ? mb(x.serverRss.maxBytes) : '-',
    ];
  });
  out.push(
    '   raw: the same database after central stopped, one connection, one appointment per ' +
      "transaction: BEGIN; the adapter's overlap SELECT; INSERT; COMMIT",
    '',
    table(
      [
        'database',
        'push mut/s',
        'batch p50 ms',
        'batch max ms',
        'raw tx/s',
        'raw p50 ms',
        'ratio',
        'CPU ms/mut',
        'RSS max',
      ],
      rows,
    ),
  );
  for (const e of r.reconcile) {
    const x = e.reconcile;
    out.push('');
    if (e.error) out.push(`   ${e.database}: FAILED: ${e.error.split('\n')[0]}`);
    if (e.seed) {
      out.push(
        `   ${e.database} (${e.where ?? ''}): seeded ${e.seed.appointments} appointments + ${e.seed.notifications} ` +
          `notifications in ${f1(e.seed.appointmentsSeconds)}s (bulk SQL, change-log triggers ` +
          `${e.seed.triggers}: ${e.seed.changeLogRows} change_log rows), migrations ` +
          `${f1(e.seed.migrateSeconds)}s`,
      );
    }
    if (x) {
      const o = x.outcomes;
      out.push(
        `   ${e.database}: outcomes applied ${o.applied ?? 0}, applied_with_conflict ` +
          `${o.applied_with_conflict ?? 0}, rejected ${o.rejected ?? 0}, deferred ` +
          `${o.deferred ?? 0}; central's last_applied_seq ${x.lastAppliedSeq}; conflicts ` +
          `open ${x.conflicts.open}, resolved ${x.conflicts.resolved}; ` +
          `server ${f2(x.serverCpuCores)} cores busy; mutations/s per batch: ${x.perBatchRate.join(' ')}`,
      );
      for (const s of x.rejectedSamples) out.push(`     rejected: ${s}`);
    }
    if (e.raw) {
      out.push(
        `   ${e.database} raw: ${e.raw.transactions} transactions in ${f1(e.raw.seconds)}s, ` +
          `p99 ${f2(e.raw.latency.p99Ms)} ms, overlap SELECT returned ` +
          `${f1(e.raw.overlapRowsPerTx)} rows per transaction, ${e.raw.errors} errors`,
      );
    }
  }
  if (!cfg.databaseUrl) {
    out.push('', '   PostgreSQL server: not run (no --database-url and no TEST_DATABASE_URL)');
  }
  return out;
}

function bytesSection(r: SyncResults): string[] {
  const b = r.pushBytes;
  const out: string[] = [
    '',
    '2. Push bytes per appointment.put (request body, as the node sends it)',
  ];
  if (!b) return [...out, '   not run'];
  out.push(
    '',
    table(
      ['batch', 'mutations', 'plain B/mut', 'gzip B/mut', 'gzip ratio'],
      [
        [
          `mix (${b.mix.batches} batches of 200)`,
          String(b.mix.mutations),
          f0(b.mix.plainPerMutation),
          f0(b.mix.gzipPerMutation),
          `${f1(b.mix.plainBytes / b.mix.gzipBytes)}:1`,
        ],
        [
          'new bookings only (200)',
          String(b.bookings.mutations),
          f0(b.bookings.plainPerMutation),
          f0(b.bookings.gzipPerMutation),
          `${f1(b.bookings.plainBytes / b.bookings.gzipBytes)}:1`,
        ],
      ],
    ),
    '',
    `   one mutation (plain JSON): ${Object.entries(b.perIntent)
      .map(([k, v]) => `${k} ${v} B`)
      .join(', ')}`,
    `   a new booking's ${b.bookingParts.total} B: row ${b.bookingParts.row}, clocks ` +
      `${b.bookingParts.clocks}, base ${b.bookingParts.base}, envelope (seq, kind, entity_id, ` +
      `hlc, changed, created) ${b.bookingParts.envelope}`,
    '   the engine (sync/src/edge/engine.ts) sends the push body uncompressed today: ' +
      'on the wire it is the plain size',
  );
  for (const e of r.reconcile) {
    const w = e.reconcile?.wire;
    if (!w) continue;
    out.push(
      `   measured in reconcile (${e.database.split(' ')[0]}): request ` +
        `${f0(w.requestBytesPerMutation)} B/mutation; answer ${f0(w.responseBytesPerMutation)} ` +
        `B/mutation on the wire (${w.responseEncoding}), ${f0(w.responsePlainBytesPerMutation)} ` +
        "B plain (each result carries central's row)",
    );
  }
  return out;
}

function catchupSection(r: SyncResults): string[] {
  const out: string[] = ['', '3. Catch-up after a week offline (clinic edge + central on PGlite)'];
  const c = r.catchup;
  if (!c) return [...out, '   not run'];
  if ('error' in c) return [...out, `   FAILED: ${c.error.split('\n--- ')[0]}`];
  out.push(
    `   directory on the node: ${c.directory}; first sync ${f1(c.initialSyncSeconds)}s ` +
      `(${c.nodePatients} patients on the node)`,
    `   offline: ${c.offline.writes} bookings through the node's API in ${f1(c.offline.seconds)}s ` +
      `(${f0(c.offline.writesPerSec)}/s, ${c.offline.errors} errors); ` +
      `${c.offline.pendingAfter} pending mutations`,
    '',
    table(
      [
        'catch-up',
        'seconds',
        'mutations/s',
        'first push after',
        'drain',
        'drain mut/s',
        'node RSS max',
        'node RSS idle',
        'node VmHWM',
      ],
      [
        [
          'central restart -> pending 0',
          f1(c.seconds),
          f0(c.mutationsPerSec),
          `${f1(c.firstPushSeconds)} s`,
          `${f1(c.drainSeconds)} s`,
          f0(c.drainMutationsPerSec),
          mb(c.nodeRss.maxBytes),
          mb(c.nodeIdleRssBytes),
          mb(c.nodePeakRssBytes),
        ],
      ],
    ),
    '',
    `   central restart took ${f0(c.centralRestartMs)} ms to listen; "first push after": the ` +
      'node retries every 15 s while offline, so part of the catch-up is that timer',
    `   final node status: pending ${c.finalStatus.pending_mutations}, rejected ` +
      `${c.finalStatus.rejected.length}, last_success_at ${c.finalStatus.last_success_at}; ` +
      `central last_applied_seq ${c.centralLastAppliedSeq}`,
  );
  return out;
}

function report(cfg: SyncBenchConfig, machine: Machine, shape: Shape, r: SyncResults): string {
  const out: string[] = [];
  out.push('', '=== Sync benchmark (sync/SPEC.md) ===');
  out.push(
    `machine : ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ` +
      `${machine.os}, node ${machine.node}; load average at start ${machine.loadAverage}`,
  );
  out.push(`command : ${commandLine(cfg.argv)}`);
  out.push(
    `dataset : ${shape.appointments} appointments on file at central (${shape.providers} ` +
      `providers, ${shape.patients} patients, ${shape.facilities} facilities; bench/lib/dataset.ts)`,
  );
  if (cfg.only.includes('reconcile')) out.push(...reconcileSection(cfg, shape, r));
  if (cfg.only.includes('push-bytes')) out.push(...bytesSection(r));
  if (cfg.only.includes('catchup')) out.push(...catchupSection(r));
  const list = checks(r);
  if (list.length) out.push('', 'targets (shown, not asserted):', formatChecks(list));
  for (const n of r.notes) out.push(`note: ${n}`);
  const commands = [
    ...r.reconcile.flatMap((e) => (e.reconcile ? [e.reconcile.serverCommand] : [])),
    ...(r.catchup && !('error' in r.catchup)
      ? [r.catchup.centralCommand, r.catchup.edgeCommand]
      : []),
  ];
  if (commands.length) out.push('', 'processes (temporary data dirs):', ...commands);
  for (const e of r.reconcile) {
    if (e.reconcile?.profile) {
      out.push('', formatProfile(`CPU profile, central (${e.database})`, e.reconcile.profile));
    }
  }
  return out.join('\n');
}

async function runReconcile(
  db: CentralDb,
  cfg: SyncBenchConfig,
  shape: Shape,
  day0: number,
  profDir: string | undefined,
): Promise<{ entry: ReconcileEntry; nextDay: number }> {
  const entry: ReconcileEntry = { database: db.label, where: db.detail, seed: db.seed };
  let nextDay = 0;
  try {
    const { result, plan } = await benchReconcile(db, {
      shape,
      day0,
      mutations: cfg.mutations,
      nodeFacilities: cfg.nodeFacilities,
      warmupBatches: 1,
      cpuProfDir: profDir,
    });
    entry.reconcile = result;
    nextDay = plan.slots.lastDay + 1;
    const slots = new EveningSlots(nodeScope(db.dir, shape, cfg.nodeFacilities), day0, nextDay);
    entry.raw = await benchRawPerRow(db, slots, cfg.rawWarmupSeconds * 1000, cfg.rawSeconds * 1000);
    nextDay = slots.lastDay + 1;
    entry.ratio = result.mutationsPerSec / entry.raw.txPerSec;
  } catch (err) {
    entry.error = (err as Error).stack ?? String(err);
    log('reconcile', `${db.label} failed: ${entry.error}`);
  }
  return { entry, nextDay };
}

async function main(): Promise<number> {
  let cfg: SyncBenchConfig | undefined;
  try {
    cfg = parseSyncConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof SyncUsageError)) throw err;
    console.error(`bench:sync: ${err.message}\n\n${SYNC_USAGE}`);
    return 2;
  }
  if (!cfg) {
    console.log(SYNC_USAGE);
    return 0;
  }
  installSyncCleanupHandlers();
  const machine = machineInfo();
  const shape = makeShape(cfg.appointments, 1, 2000);
  const day0 = tomorrowUtc(Date.now());
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profDir = (name: string) =>
    cfg.cpuProf ? join(RESULTS_DIR, 'profiles', stamp, name) : undefined;
  log('bench:sync', `${commandLine(cfg.argv)} on ${machine.cores} cores, node ${machine.node}`);

  const started = performance.now();
  const r: SyncResults = { reconcile: [], notes: [] };
  let failed = false;
  try {
    if (cfg.only.includes('push-bytes')) {
      r.pushBytes = benchPushBytes(shape, day0, cfg.nodeFacilities);
      log('push-bytes', `gzip ${r.pushBytes.mix.gzipPerMutation.toFixed(0)} B/mutation (mix)`);
    }
    let pglite: CentralDb | undefined;
    let nextDay = 0;
    if (cfg.only.includes('reconcile')) {
      pglite = await preparePgliteCentral(shape, day0);
      const p = await runReconcile(pglite, cfg, shape, day0, profDir('central-pglite'));
      r.reconcile.push(p.entry);
      nextDay = Math.max(nextDay, p.nextDay);
      if (cfg.databaseUrl) {
        let pgDb: CentralDb | undefined;
        try {
          pgDb = await preparePostgresCentral(cfg.databaseUrl, shape, day0);
          const q = await runReconcile(pgDb, cfg, shape, day0, profDir('central-postgres'));
          r.reconcile.push(q.entry);
        } catch (err) {
          r.reconcile.push({ database: 'PostgreSQL', error: (err as Error).stack ?? String(err) });
        } finally {
          await pgDb?.dispose();
        }
      }
      failed ||= r.reconcile.some((e) => e.error);
    }
    if (cfg.only.includes('catchup')) {
      pglite ??= await preparePgliteCentral(shape, day0);
      if (nextDay > 0) r.notes.push('catch-up reused the PGlite central of the reconcile run');
      try {
        r.catchup = await benchCatchup(pglite, {
          shape,
          day0,
          writes: cfg.catchupWrites,
          nodeFacilities: cfg.nodeFacilities,
          firstDay: nextDay,
          clients: cfg.catchupClients,
          seedEdgeDirectory: cfg.catchupSeedEdge,
          initialSyncTimeoutMs: 120_000,
          catchupTimeoutMs: 120_000,
        });
      } catch (err) {
        failed = true;
        const message = (err as Error).message;
        r.catchup = { error: message };
        log('catch-up', `failed: ${message}`);
      }
    }
    await pglite?.dispose();
  } finally {
    await syncCleanupAll();
  }
  // Interrupted: the signal handler exits once everything is undone; nothing to report.
  if (wasInterrupted()) return 130;
  const totalSeconds = (performance.now() - started) / 1000;

  console.log(report(cfg, machine, shape, r));
  writeResults(
    'sync-latest.json',
    {
      date: new Date().toISOString(),
      command: commandLine(cfg.argv),
      machine,
      config: {
        ...cfg,
        databaseUrl: cfg.databaseUrl ? '(given)' : null,
        shape,
        day0: new Date(day0).toISOString(),
      },
      targets: { ...TARGETS, nodeRssMB: TARGETS.nodeRssBytes / 2 ** 20 },
      checks: checks(r),
      results: r,
      totalSeconds,
    },
    totalSeconds,
  );
  return failed ? 1 : 0;
}

runBench('bench:sync', main, syncCleanupAll);
