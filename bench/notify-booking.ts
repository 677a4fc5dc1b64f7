/**
 * Booking on the edge with and without dispatch: one data directory is seeded in-process
 * as booking-edge.ts seeds it (the directory through the services, the appointments on
 * file through the WriteTx), then copied once per run, so every run starts from identical
 * files (same node id, same rows). Each run is the edge HTTP booking load of
 * lib/http-bench.ts on a real `clinic edge`:
 *
 * (a) without a transport: the node owns none of its notifications (it relays them
 *     through central, which is not running), so its dispatcher idles;
 * (b) with `--smtp-url` to the SMTP sink: each booking's two `created` emails are the
 *     node's own, for its dispatcher to send while the load runs (reminders are due a
 *     day later);
 * (c) as (b), with `backlog` emails of the node's own already pending when it starts
 *     (on appointments far from the bookings' slots), so the dispatcher is sending from
 *     the first second instead of waiting to be woken.
 *
 * The sink's arrivals are counted inside the measured window and up to the end of the
 * load. After (b)'s load the node gets up to `drainMs` to send the rest (its RSS sampled
 * meanwhile); (c) is stopped at once. After each run the stopped node's queue is read
 * from its file.
 */
import { silentLogger } from '@clinic/api';
import { CENTRAL_OWNER } from '@clinic/domain';
import { EDGE_DB_FILE } from '@clinic/edge';
import { createNodeRuntime } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { closeSync, cpSync, fsyncSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './lib/cleanup';
import {
  BENCH_BOOKING_REASON,
  BookingPlan,
  DAY_MS,
  type Directory,
  type Shape,
} from './lib/dataset';
import { runHttpBench, type HttpBenchResult } from './lib/http-bench';
import { log, timed } from './lib/log';
import { ownEmailCounts, type EmailCounts } from './lib/notify-counts';
import { seedPendingEmails } from './lib/notify-seed';
import { readCpuMs, sampleRss } from './lib/proc';
import { seedAppointments, seedDirectory } from './lib/seed';
import type { SinkStats, SmtpSinkProcess } from './lib/smtp-sink';

const SCOPE = 'booking';
/** While draining: give up when the sink has received nothing new for this long. */
const DRAIN_STALL_MS = 5_000;
const POLL_MS = 50;
/** Run (c)'s backlog appointments lie this far ahead: never in the bookings' way. */
const BACKLOG_DAYS_AHEAD = 400;

export interface BookingRunResult extends HttpBenchResult {
  label: string;
  /** The server's "notifications: ..." start-up line. */
  notifySummary: string;
  /** The first dispatcher / SMTP lines of the server's log (retries, failures). */
  dispatcherLog: string[];
  dispatcherLogLines: number;
  /** The end of the server's output when the load ended (printed when a booking failed). */
  serverLogTail: string;
  /** Pending emails of the node's own in its queue before the start (c), else 0. */
  backlog: number;
  /** Bookings sent (warm-up, measured and the last ones in flight). */
  bookingsIssued: number;
  /** Emails at the sink that arrived inside the measured window. */
  emailsInWindow: number;
  /** Emails at the sink from the server's start to the end of the load. */
  emailsDuringLoad: number;
  /** What the sink had received when the run ended (after the drain, for b). */
  sink: SinkStats;
  /** Seconds from the end of the load until the sink had every email the load queued. */
  drainSeconds: number | null;
  /** Whether the sink got them all within the drain limit (b only; null when not waited). */
  drained: boolean | null;
  /** Max RSS sampled while draining after the load (b only). */
  rssMaxDrainBytes: number | null;
  /** The benchmark bookings' emails in the stopped node's file, by status. */
  queue: EmailCounts;
  /** Whose they are: the node's id (b, c) or `central` (a: relayed). */
  queueOwner: string;
  /** Every email the node owns (bookings' and backlog), by event and status. */
  nodeQueue: EmailCounts;
  /** The sink process's CPU over the measured window (1.0 = one core). */
  sinkCpuCores: number;
}

export interface BookingComparison {
  seedSeconds: number;
  nodeId: string;
  withoutDispatch: BookingRunResult;
  withDispatch: BookingRunResult;
  /** (c): with --smtp-url and a backlog already queued, when asked for. */
  withBacklog?: BookingRunResult;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function seedOnce(
  shape: Shape,
  day0: number,
): Promise<{ dir: string; directory: Directory; nodeId: string }> {
  const dir = makeTempDir('notify-booking-seed');
  const store = openSqliteStore({ file: join(dir, EDGE_DB_FILE) });
  try {
    const runtime = await createNodeRuntime({
      role: 'edge',
      store,
      dataDir: dir,
      logger: silentLogger(),
      version: 'bench',
    });
    const directory = await timed(SCOPE, 'directory created', () =>
      seedDirectory(runtime, shape, SCOPE),
    );
    await timed(SCOPE, 'appointments written', () =>
      seedAppointments(runtime, directory, shape, day0, SCOPE),
    );
    return { dir, directory, nodeId: runtime.nodeId };
  } finally {
    await store.close();
  }
}

interface RunOptions {
  label: string;
  dataDir: string;
  nodeId: string;
  directory: Directory;
  shape: Shape;
  day0: number;
  warmupMs: number;
  measureMs: number;
  sink: SmtpSinkProcess;
  /** With --smtp-url to the sink (b, c) or without a transport (a). */
  dispatch: boolean;
  /** Pending emails of the node's own already in its queue when it starts (c). */
  backlog: number;
  /** After the load, wait at most this long for the sink to have everything. */
  drainMs: number;
}

async function runOnce(o: RunOptions): Promise<BookingRunResult> {
  const plan = new BookingPlan(o.directory, o.shape, o.day0);
  await o.sink.reset();
  const startWall = Date.now();
  let openWall = 0;
  let closeWall = 0;
  let sinkCpuOpen = 0;
  let sinkCpuClose = 0;
  let emailsInWindow = 0;
  let emailsDuringLoad = 0;
  let drainSeconds: number | null = null;
  let drained: boolean | null = null;
  let rssMaxDrainBytes: number | null = null;
  let notifySummary = '(no summary line)';
  let dispatcherLog: string[] = [];
  let serverLogTail = '';

  const result = await runHttpBench({
    role: 'edge',
    dataDir: o.dataDir,
    plan,
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    ...(o.dispatch && { serverArgs: ['--smtp-url', o.sink.url] }),
    onWindow(edge) {
      if (edge === 'open') {
        openWall = Date.now();
        sinkCpuOpen = readCpuMs(o.sink.pid) ?? 0;
      } else {
        closeWall = Date.now();
        sinkCpuClose = readCpuMs(o.sink.pid) ?? 0;
      }
    },
    async afterLoad(server) {
      const loadEndWall = Date.now();
      notifySummary = /^notifications: .*$/m.exec(server.output())?.[0] ?? notifySummary;
      serverLogTail = server.output().slice(-1500);
      dispatcherLog = server
        .output()
        .split('\n')
        .filter((line) => /notify: |smtp: /.test(line));
      emailsInWindow = (await o.sink.stats({ fromMs: openWall, toMs: closeWall })).inRange ?? 0;
      emailsDuringLoad =
        (await o.sink.stats({ fromMs: startWall, toMs: loadEndWall })).inRange ?? 0;
      const expected = o.backlog + 2 * plan.issued;
      log(
        o.label,
        `${plan.issued} bookings sent; the sink received ${emailsInWindow} emails in the ` +
          `measured window, ${emailsDuringLoad} during the whole load`,
      );
      if (!o.dispatch || o.drainMs <= 0) return;
      // Let the node send what is left, watching its memory meanwhile.
      const rss = sampleRss(server.pid, 50);
      let last = -1;
      try {
        let lastProgress = performance.now();
        const deadline = performance.now() + o.drainMs;
        for (;;) {
          const s = await o.sink.stats({ nth: expected });
          const now = performance.now();
          if (s.received >= expected) {
            drained = true;
            drainSeconds = Math.max(0, ((s.nthAt ?? Date.now()) - loadEndWall) / 1000);
            break;
          }
          if (s.received !== last) {
            last = s.received;
            lastProgress = now;
          }
          if (now >= deadline || now - lastProgress > DRAIN_STALL_MS) {
            drained = false;
            break;
          }
          await sleep(POLL_MS);
        }
      } finally {
        rssMaxDrainBytes = rss.stop().maxBytes;
      }
      log(
        o.label,
        drained
          ? `all ${expected} emails at the sink ${drainSeconds!.toFixed(1)}s after the load`
          : `the sink has ${last}/${expected} emails ${((Date.now() - loadEndWall) / 1000).toFixed(0)}s ` +
              'after the load (limit reached or no progress): stopping the node',
      );
    },
  });
  const file = join(o.dataDir, EDGE_DB_FILE);
  const queueOwner = o.dispatch ? o.nodeId : CENTRAL_OWNER;
  return {
    ...result,
    label: o.label,
    notifySummary,
    dispatcherLog: dispatcherLog.slice(0, 5),
    dispatcherLogLines: dispatcherLog.length,
    serverLogTail,
    backlog: o.backlog,
    bookingsIssued: plan.issued,
    emailsInWindow,
    emailsDuringLoad,
    sink: await o.sink.stats(),
    drainSeconds,
    drained,
    rssMaxDrainBytes,
    queue: ownEmailCounts(file, queueOwner, BENCH_BOOKING_REASON),
    queueOwner,
    nodeQueue: ownEmailCounts(file, o.nodeId),
    sinkCpuCores: closeWall > openWall ? (sinkCpuClose - sinkCpuOpen) / (closeWall - openWall) : 0,
  };
}

/**
 * Copies the seeded directory to a fresh temp dir (same node id, same rows) and flushes
 * the copy to disk, so no run pays for the writeback of the copies made before it.
 */
function copyOf(seedDir: string, label: string): string {
  const dir = makeTempDir(`notify-booking-${label}`);
  cpSync(seedDir, dir, { recursive: true });
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const fd = openSync(join(dir, entry.name), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return dir;
}

/** Adds `count` pending emails of the node's own, far from the bookings' slots. */
async function addBacklog(dataDir: string, directory: Directory, day0: number, count: number) {
  const store = openSqliteStore({ file: join(dataDir, EDGE_DB_FILE) });
  try {
    const runtime = await createNodeRuntime({
      role: 'edge',
      store,
      dataDir,
      logger: silentLogger(),
      version: 'bench',
    });
    await seedPendingEmails(runtime, directory, day0 + BACKLOG_DAYS_AHEAD * DAY_MS, count, SCOPE);
  } finally {
    await store.close();
  }
}

export async function benchBookingWithDispatch(
  shape: Shape,
  day0: number,
  timing: { warmupMs: number; measureMs: number; drainMs: number },
  backlog: number,
  sink: SmtpSinkProcess,
): Promise<BookingComparison> {
  const t0 = performance.now();
  const seeded = await seedOnce(shape, day0);
  const dirs: string[] = [];
  try {
    const dirA = copyOf(seeded.dir, 'a');
    const dirB = copyOf(seeded.dir, 'b');
    const dirC = backlog > 0 ? copyOf(seeded.dir, 'c') : undefined;
    dirs.push(dirA, dirB, ...(dirC ? [dirC] : []));
    removeTempDir(seeded.dir);
    if (dirC) {
      await timed(SCOPE, `(c) ${backlog} pending emails added`, () =>
        addBacklog(dirC, seeded.directory, day0, backlog),
      );
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    log(SCOPE, `seeded once and copied in ${seedSeconds.toFixed(1)}s`);
    const common = {
      nodeId: seeded.nodeId,
      directory: seeded.directory,
      shape,
      day0,
      warmupMs: timing.warmupMs,
      measureMs: timing.measureMs,
      sink,
    };
    log(SCOPE, '(a) no transport: the node relays, its dispatcher idles');
    const withoutDispatch = await runOnce({
      ...common,
      label: 'booking (a)',
      dataDir: dirA,
      dispatch: false,
      backlog: 0,
      drainMs: 0,
    });
    removeTempDir(dirA);
    log(SCOPE, '(b) --smtp-url: the node sends every booking’s emails while the load runs');
    const withDispatch = await runOnce({
      ...common,
      label: 'booking (b)',
      dataDir: dirB,
      dispatch: true,
      backlog: 0,
      drainMs: timing.drainMs,
    });
    removeTempDir(dirB);
    let withBacklog: BookingRunResult | undefined;
    if (dirC) {
      log(SCOPE, `(c) --smtp-url with ${backlog} emails already queued: sending from the start`);
      withBacklog = await runOnce({
        ...common,
        label: 'booking (c)',
        dataDir: dirC,
        dispatch: true,
        backlog,
        drainMs: 0,
      });
    }
    return {
      seedSeconds,
      nodeId: seeded.nodeId,
      withoutDispatch,
      withDispatch,
      ...(withBacklog && { withBacklog }),
    };
  } finally {
    removeTempDir(seeded.dir);
    for (const dir of dirs) removeTempDir(dir);
  }
}
