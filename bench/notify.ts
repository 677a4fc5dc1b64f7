/**
 * `npm run bench:notify`: the notification benchmark of issue 4.
 *
 * 1. Dispatcher throughput: a real `clinic edge --smtp-url` process delivers a backlog of
 *    N pending emails (default 5,000) to a real SMTP server on 127.0.0.1 (smtp-server, in a
 *    child process): time from "listening" to the last message, messages/s, the node's CPU
 *    and RSS while sending; the sink must hold exactly N distinct Message-IDs.
 * 2. Booking p99 with and without dispatch: the edge HTTP booking load (10 clients, as
 *    `npm run bench`) on identical data dirs, (a) without a transport, (b) with --smtp-url
 *    to the sink, so the node has each booking's emails to send while the load runs, and
 *    (c) as (b) with a backlog already queued, so the dispatcher is busy from the start:
 *    req/s, p50/p99, RSS, emails sent meanwhile, the ratios to (a), and whether p99 stays
 *    within 1.2 x p99 (a).
 *
 * Prints a report, writes bench/results/notify-latest.json; exits 1 when a check fails
 * (a message count or Message-ID mismatch, a booking not answered 201). Servers and the
 * sink are killed by pid and temp dirs removed on every exit path, Ctrl+C included.
 */
import { cleanupAll, installCleanupHandlers } from './lib/cleanup';
import { UsageError } from './lib/config';
import { makeShape, tomorrowUtc, type Shape } from './lib/dataset';
import { benchCommand, runBench, writeResults } from './lib/entry';
import { log } from './lib/log';
import { countStatus, formatCounts } from './lib/notify-counts';
import { NOTIFY_USAGE, parseNotifyConfig, type NotifyBenchConfig } from './lib/notify-config';
import { formatColumns, formatTable, machineInfo, mb, type Machine } from './lib/report';
import { startSmtpSink } from './lib/smtp-sink';
import {
  benchBookingWithDispatch,
  type BookingComparison,
  type BookingRunResult,
} from './notify-booking';
import { benchDispatchThroughput, type ThroughputResult } from './notify-throughput';

/** Dispatch must not slow booking: p99 with dispatch at most this times p99 without. */
const P99_LIMIT = 1.2;

interface Results {
  throughput?: ThroughputResult;
  booking?: BookingComparison;
}

const commandLine = (argv: string[]) => benchCommand('bench:notify', 'bench/notify.ts', argv);

const fixed = (n: number | null | undefined, digits: number) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);

/** What went wrong, as lines; empty when every check holds. */
function problems(r: Results): string[] {
  const out: string[] = [];
  const t = r.throughput;
  if (t) {
    const n = t.notifications;
    if (!t.complete) out.push(`throughput: the sink received ${t.sink.received}/${n} (stalled)`);
    if (t.sink.received !== n) out.push(`throughput: ${t.sink.received} messages, expected ${n}`);
    if (t.sink.distinctIds !== n) {
      out.push(`throughput: ${t.sink.distinctIds} distinct Message-IDs, expected ${n}`);
    }
    if (t.sink.withoutId > 0)
      out.push(`throughput: ${t.sink.withoutId} messages without Message-ID`);
    if (countStatus(t.queue, 'sent') !== n) {
      out.push(`throughput: the node's queue shows ${formatCounts(t.queue)}, expected ${n} sent`);
    }
  }
  const b = r.booking;
  if (b) {
    const runs = bookingRuns(b);
    for (const run of runs) {
      if (run.errors + run.warmupErrors > 0) {
        out.push(`${run.label}: ${run.errors + run.warmupErrors} bookings were not answered 201`);
      }
    }
    const a = b.withoutDispatch;
    if (a.sink.received > 0) {
      out.push(`booking (a): the sink received ${a.sink.received} emails from a node without SMTP`);
    }
    for (const run of runs.filter((x) => x !== a)) {
      if (run.sink.duplicates > 0 || run.sink.withoutId > 0) {
        out.push(
          `${run.label}: ${run.sink.duplicates} duplicate Message-IDs, ${run.sink.withoutId} without one`,
        );
      }
      // A node killed while sending leaves rows `sending` that may or may not have arrived.
      const sent = countStatus(run.nodeQueue, 'sent');
      const sending = countStatus(run.nodeQueue, 'sending');
      if (run.sink.received < sent || run.sink.received > sent + sending) {
        out.push(
          `${run.label}: the sink received ${run.sink.received} emails, the node recorded ` +
            `${sent} sent (${sending} sending)`,
        );
      }
    }
  }
  return out;
}

function throughputReport(t: ThroughputResult): string[] {
  const head = [
    'node',
    'emails',
    'received',
    'distinct IDs',
    'first mail',
    'all received',
    'messages/s',
    'steady msg/s',
    'CPU cores',
    'CPU ms/msg',
    'RSS at listen',
    'RSS max sending',
    'VmHWM',
  ];
  const row = [
    'clinic edge (SQLite)',
    String(t.notifications),
    String(t.sink.received),
    String(t.sink.distinctIds),
    t.firstMessageMs === null ? '-' : `${t.firstMessageMs.toFixed(0)} ms`,
    t.complete ? `${t.seconds.toFixed(2)} s` : `stalled at ${t.seconds.toFixed(0)} s`,
    fixed(t.messagesPerSec, 0),
    fixed(t.steadyPerSec, 0),
    fixed(t.serverCpuCores, 2),
    fixed(t.serverCpuMsPerMessage, 2),
    mb(t.rssIdleBytes),
    mb(t.rssMaxSendingBytes),
    mb(t.peakRssBytes),
  ];
  const exact =
    t.sink.received === t.notifications &&
    t.sink.distinctIds === t.notifications &&
    t.sink.duplicates === 0;
  return [
    '',
    '=== 1. Dispatcher throughput: clinic edge --smtp-url -> SMTP server on 127.0.0.1 ===',
    `backlog: ${t.notifications} pending 'created' emails owned by the node, due now ` +
      `(seeded in ${t.seedSeconds.toFixed(1)}s); timed from the "listening on" line ` +
      `(process start to listening: ${t.startupMs.toFixed(0)} ms)`,
    `server says: ${t.notifySummary}`,
    '',
    formatColumns(head, [row]),
    '',
    `Message-IDs at the sink: ${t.sink.received} messages, ${t.sink.distinctIds} distinct, ` +
      `${t.sink.duplicates} duplicates, ${t.sink.withoutId} without: ` +
      `${exact ? `exactly ${t.notifications}, OK` : 'MISMATCH'}`,
    `node's queue after stop: ${formatCounts(t.queue)}`,
    `server: ${t.serverCommand}`,
  ];
}

function bookingRuns(b: BookingComparison): BookingRunResult[] {
  return [b.withoutDispatch, b.withDispatch, ...(b.withBacklog ? [b.withBacklog] : [])];
}

const RUN_NAMES: Record<string, string> = {
  'booking (a)': '(a) no transport (relay)',
  'booking (b)': '(b) --smtp-url',
  'booking (c)': '(c) --smtp-url + backlog',
};

/** The verdict on one dispatching run against (a), and a caveat when it sent little. */
function verdict(name: string, r: BookingRunResult, a: BookingRunResult): string[] {
  const ratio = r.latency.p99Ms / a.latency.p99Ms;
  const out = [
    r.latency.p99Ms <= P99_LIMIT * a.latency.p99Ms
      ? `verdict ${name}: dispatch does not slow booking (p99 ${r.latency.p99Ms.toFixed(1)} ms ` +
        `<= ${P99_LIMIT} x ${a.latency.p99Ms.toFixed(1)} ms; ${ratio.toFixed(2)}x)`
      : `verdict ${name}: dispatch SLOWS booking: p99 ${r.latency.p99Ms.toFixed(1)} ms is ` +
        `${ratio.toFixed(2)}x the ${a.latency.p99Ms.toFixed(1)} ms of (a) (limit ${P99_LIMIT}x)`,
  ];
  const queuedInWindow = 2 * (r.requests - r.errors);
  if (r.emailsInWindow < queuedInWindow / 2) {
    const extra = r.backlog > 0 ? ` on top of the ${r.backlog} pending at the start` : '';
    out.push(
      `  caveat: the sink got only ${r.emailsInWindow} emails inside the measured window, while ` +
        `its bookings queued ~${queuedInWindow}${extra}: sending hardly progressed during the ` +
        'load, so this says little about booking beside steady sending',
    );
  }
  return out;
}

function bookingReport(
  b: BookingComparison,
  cfg: NotifyBenchConfig,
  shape: Shape,
  idleRate: number | undefined,
): string[] {
  const a = b.withoutDispatch;
  const runs = bookingRuns(b);
  const name = (r: BookingRunResult) => RUN_NAMES[r.label] ?? r.label;
  const emailHead = [
    'run',
    'bookings',
    'emails in window',
    'emails during load',
    'unsent at load end',
    'all sent after load',
    'sink CPU',
    'server CPU',
    'RSS max drain',
    'VmHWM',
    'stop',
  ];
  const emailRow = (r: BookingRunResult) => {
    const dispatching = r !== a;
    return [
      name(r),
      String(r.bookingsIssued),
      String(r.emailsInWindow),
      String(r.emailsDuringLoad),
      dispatching
        ? String(Math.max(0, r.backlog + 2 * r.bookingsIssued - r.emailsDuringLoad))
        : '-',
      r.drained === null ? '-' : r.drained ? `${fixed(r.drainSeconds, 1)} s` : 'no (gave up)',
      `${r.sinkCpuCores.toFixed(2)} cores`,
      `${r.serverCpuCores.toFixed(2)} cores`,
      r.rssMaxDrainBytes === null ? '-' : mb(r.rssMaxDrainBytes),
      mb(r.peakRssBytes),
      `${(r.stopMs / 1000).toFixed(1)} s`,
    ];
  };
  const ratioHead = ['vs (a)', 'p50 ratio', 'p99 ratio', 'throughput ratio'];
  const ratioRow = (r: BookingRunResult) => [
    name(r),
    `${(r.latency.p50Ms / a.latency.p50Ms).toFixed(2)}x`,
    `${(r.latency.p99Ms / a.latency.p99Ms).toFixed(2)}x`,
    `${(r.reqPerSec / a.reqPerSec).toFixed(2)}x`,
  ];
  const dispatching = runs.filter((r) => r !== a);
  const out = [
    '',
    '=== 2. Booking on the edge with and without dispatch: POST /api/v1/appointments/ ===',
    `workload: ${shape.appointments} appointments on file (${shape.providers} providers, ` +
      `${shape.patients} patients, ${shape.facilities} facilities; seeded once and copied to ` +
      `a fresh dir per run in ${b.seedSeconds.toFixed(1)}s); ${cfg.clients} keep-alive clients ` +
      `booking non-conflicting slots, ${cfg.warmup}s warm-up + ${cfg.seconds}s measured per run`,
    `(a) ${a.notifySummary}`,
    `(b) ${b.withDispatch.notifySummary}; each booking queues 2 'created' emails owned by the node`,
  ];
  if (b.withBacklog) {
    out.push(
      `(c) as (b), with ${b.withBacklog.backlog} of the node's emails already pending at the ` +
        'start, so its dispatcher is sending from the first second',
    );
  }
  out.push(
    '',
    formatTable(
      runs.map((r) => ({
        name: name(r),
        throughput: r.reqPerSec,
        unit: 'req/s' as const,
        latency: r.latency,
        rssMaxBytes: r.serverRss.maxBytes,
        errors: r.errors,
      })),
    ),
    '',
    formatColumns(ratioHead, dispatching.map(ratioRow)),
    '',
    formatColumns(emailHead, runs.map(emailRow)),
    '',
  );
  for (const r of runs) {
    out.push(
      `${name(r)}: sink got ${r.sink.received} emails (${r.sink.distinctIds} distinct ` +
        `Message-IDs); bookings' emails after stop (owner ${r.queueOwner === a.queueOwner ? r.queueOwner : 'node'}): ` +
        `${formatCounts(r.queue)}`,
    );
  }
  for (const r of dispatching) {
    out.push(
      `${name(r)}: sending rate inside the measured window ` +
        `${(r.emailsInWindow / r.measuredSeconds).toFixed(1)} emails/s` +
        (idleRate === undefined ? '' : ` (part 1, no booking load: ${idleRate.toFixed(0)}/s)`),
    );
  }
  out.push('');
  for (const r of dispatching) out.push(...verdict(name(r), r, a));
  for (const r of dispatching) {
    // Reminders are due a day later: only the due 'created' emails count as left unsent.
    const left = countStatus(r.nodeQueue, 'sending') + (r.nodeQueue['created pending'] ?? 0);
    if (r.stopMs > 2000) {
      out.push(
        `note: ${name(r)} took ${(r.stopMs / 1000).toFixed(1)} s to exit after SIGTERM ` +
          `(SIGKILL after 10 s); after it, ${left} due emails were still unsent ` +
          `(${formatCounts(r.nodeQueue)})`,
      );
    }
  }
  for (const r of dispatching) {
    if (r.dispatcherLogLines === 0) continue;
    out.push(`${name(r)}: ${r.dispatcherLogLines} dispatcher/SMTP log lines, first ones:`);
    for (const line of r.dispatcherLog) out.push(`  ${line.slice(0, 300)}`);
  }
  out.push('note: the SMTP sink runs on this machine too; its CPU counts against (b) and (c)');
  for (const r of runs) {
    if (r.errorSamples.length === 0) continue;
    for (const e of r.errorSamples) out.push(`${r.label} error: ${e}`);
    out.push(`${r.label}: the end of the server's output:`, r.serverLogTail.trim());
  }
  out.push(`server (b): ${b.withDispatch.serverCommand}`);
  return out;
}

function report(cfg: NotifyBenchConfig, machine: Machine, shape: Shape, r: Results): string {
  const out: string[] = [
    '',
    '=== Notification benchmark (issue 4) ===',
    `machine : ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ` +
      `${machine.os}, node ${machine.node}; load average at start ${machine.loadAverage}`,
    `command : ${commandLine(cfg.argv)}`,
  ];
  if (r.throughput) out.push(...throughputReport(r.throughput));
  if (r.booking) {
    out.push(...bookingReport(r.booking, cfg, shape, r.throughput?.steadyPerSec));
  }
  const bad = problems(r);
  out.push('', bad.length ? `ERRORS:\n${bad.map((p) => `  ${p}`).join('\n')}` : 'checks: all OK');
  return out.join('\n');
}

async function main(): Promise<number> {
  let cfg: NotifyBenchConfig | undefined;
  try {
    cfg = parseNotifyConfig(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench: ${err.message}\n\n${NOTIFY_USAGE}`);
    return 2;
  }
  if (!cfg) {
    console.log(NOTIFY_USAGE);
    return 0;
  }
  installCleanupHandlers();
  const machine = machineInfo();
  const shape = makeShape(cfg.appointments, cfg.clients, cfg.patients);
  const day0 = tomorrowUtc(Date.now());
  log('bench', `${commandLine(cfg.argv)} on ${machine.cores} cores, node ${machine.node}`);

  const started = performance.now();
  const r: Results = {};
  try {
    const sink = await startSmtpSink();
    log('bench', `SMTP sink pid ${sink.pid} on ${sink.url}`);
    if (cfg.only !== 'booking') {
      r.throughput = await benchDispatchThroughput(cfg.notifications, day0, sink);
    }
    if (cfg.only !== 'throughput') {
      r.booking = await benchBookingWithDispatch(
        shape,
        day0,
        {
          warmupMs: cfg.warmup * 1000,
          measureMs: cfg.seconds * 1000,
          drainMs: cfg.drainSeconds * 1000,
        },
        cfg.backlog,
        sink,
      );
    }
    await sink.stop();
  } finally {
    await cleanupAll();
  }
  const totalSeconds = (performance.now() - started) / 1000;

  console.log(report(cfg, machine, shape, r));
  writeResults(
    'notify-latest.json',
    {
      date: new Date().toISOString(),
      command: commandLine(cfg.argv),
      machine,
      config: { ...cfg, shape, day0: new Date(day0).toISOString() },
      p99Limit: P99_LIMIT,
      problems: problems(r),
      results: r,
      totalSeconds,
    },
    totalSeconds,
  );
  return problems(r).length > 0 ? 1 : 0;
}

runBench('bench', main, cleanupAll);
