/**
 * Dispatcher throughput: a fresh edge data directory is seeded in-process (the edge's own
 * store and runtime, as booking-edge.ts does) with a small directory and N pending emails
 * the node owns, due now (lib/notify-seed.ts). Then a real `clinic edge --smtp-url` process
 * starts on it and its dispatcher sends the backlog to the SMTP sink. Measured: from the
 * "listening on" line to the sink holding all N, messages/s, the server's CPU and its RSS
 * while sending (sampled, and VmHWM). Checked: the sink got exactly N messages with N
 * distinct Message-IDs, and the stopped node's queue shows N sent.
 */
import { silentLogger } from '@clinic/api';
import { EDGE_DB_FILE } from '@clinic/edge';
import { createNodeRuntime } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './lib/cleanup';
import { makeShape } from './lib/dataset';
import { BENCH_ADMIN } from './lib/http-bench';
import { log, timed } from './lib/log';
import { countStatus, formatCounts, ownEmailCounts, type EmailCounts } from './lib/notify-counts';
import { seedPendingEmails } from './lib/notify-seed';
import { readCpuMs, readPeakRssBytes, readRssBytes, sampleRss, type RssStats } from './lib/proc';
import { seedDirectory } from './lib/seed';
import { startServer } from './lib/server';
import type { SinkStats, SmtpSinkProcess } from './lib/smtp-sink';

const SCOPE = 'throughput';
/** Give up when the sink has received nothing new for this long. */
const STALL_MS = 30_000;
/** After the last expected message, how long to keep listening for copies. */
const SETTLE_MS = 1_000;
const POLL_MS = 25;

export interface ThroughputResult {
  notifications: number;
  seedSeconds: number;
  /** Spawn to the "listening on" line. */
  startupMs: number;
  /** Whether the sink received all N before the bench gave up. */
  complete: boolean;
  /** "listening on" to the N-th message at the sink (or to giving up). */
  seconds: number;
  /** N / seconds. */
  messagesPerSec: number;
  /** First to last message at the sink: the rate once sending has started. */
  steadyPerSec: number;
  /** "listening on" to the first message at the sink. */
  firstMessageMs: number | null;
  sink: SinkStats;
  /** The node's emails by status, read from its database after it stopped. */
  queue: EmailCounts;
  /** RSS when the "listening on" line came (sending has just begun). */
  rssIdleBytes: number;
  /** Max of the RSS sampled every 50 ms while sending. */
  rssMaxSendingBytes: number;
  /** VmHWM when the last message arrived: the peak over the process's life. */
  peakRssBytes: number;
  serverCpuCores: number;
  serverCpuMsPerMessage: number;
  /** The server's "notifications: ..." start-up line. */
  notifySummary: string;
  serverCommand: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function benchDispatchThroughput(
  count: number,
  day0: number,
  sink: SmtpSinkProcess,
): Promise<ThroughputResult> {
  const dataDir = makeTempDir('notify-edge');
  try {
    const t0 = performance.now();
    const file = join(dataDir, EDGE_DB_FILE);
    const store = openSqliteStore({ file });
    let nodeId: string;
    try {
      const runtime = await createNodeRuntime({
        role: 'edge',
        store,
        dataDir,
        logger: silentLogger(),
        version: 'bench',
      });
      nodeId = runtime.nodeId;
      const shape = makeShape(Math.ceil(count / 2), 10, 200);
      const dir = await timed(SCOPE, 'directory created', () =>
        seedDirectory(runtime, shape, SCOPE),
      );
      await timed(SCOPE, `${count} pending emails queued`, () =>
        seedPendingEmails(runtime, dir, day0, count, SCOPE),
      );
    } finally {
      await store.close();
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    const before = ownEmailCounts(file, nodeId);
    if (before['created pending'] !== count || countStatus(before, 'pending') !== count) {
      throw new Error(
        `expected ${count} pending emails, the database holds ${formatCounts(before)}`,
      );
    }
    log(SCOPE, `seeded in ${seedSeconds.toFixed(1)}s: ${count} pending emails owned by ${nodeId}`);

    await sink.reset();
    const spawnedAt = performance.now();
    const server = await startServer({
      role: 'edge',
      dataDir,
      admin: BENCH_ADMIN,
      extraArgs: ['--smtp-url', sink.url],
    });
    const listeningWall = Date.now();
    const startupMs = performance.now() - spawnedAt;
    const cpuStart = readCpuMs(server.pid) ?? 0;
    const rssIdleBytes = readRssBytes(server.pid) ?? 0;
    const rss = sampleRss(server.pid, 50);
    log(SCOPE, `server pid ${server.pid} listening (${startupMs.toFixed(0)} ms)`);
    // Printed right after the "listening on" line: read once the run is over.
    const summary = () => /^notifications: .*$/m.exec(server.output())?.[0] ?? '(no summary line)';
    let notifySummary = '';

    let stats: SinkStats;
    let rssStats: RssStats | undefined;
    let complete = false;
    let endWall: number;
    let cpuEnd: number;
    let peakRssBytes: number;
    try {
      let lastCount = -1;
      let lastProgress = performance.now();
      let lastLog = performance.now();
      for (;;) {
        stats = await sink.stats({ nth: count });
        const now = performance.now();
        if (stats.received !== lastCount) {
          lastCount = stats.received;
          lastProgress = now;
        }
        if (now - lastLog >= 2000) {
          lastLog = now;
          log(SCOPE, `sink received ${stats.received}/${count}`);
        }
        if (stats.received >= count) {
          complete = true;
          break;
        }
        if (now - lastProgress > STALL_MS) break;
        await sleep(POLL_MS);
      }
      cpuEnd = readCpuMs(server.pid) ?? 0;
      peakRssBytes = readPeakRssBytes(server.pid) ?? 0;
      rssStats = rss.stop();
      endWall = complete ? (stats.nthAt ?? Date.now()) : Date.now();
      await sleep(SETTLE_MS);
      stats = await sink.stats({ nth: count });
      notifySummary = summary();
    } catch (err) {
      const output = server.output().trim();
      if (output) (err as Error).message += `\n--- edge output ---\n${output.slice(-4000)}`;
      throw err;
    } finally {
      rssStats ??= rss.stop();
      await server.stop();
    }
    const queue = ownEmailCounts(file, nodeId);
    const seconds = (endWall - listeningWall) / 1000;
    const sendingSeconds =
      stats.firstAt !== null && stats.lastAt !== null ? (stats.lastAt - stats.firstAt) / 1000 : 0;
    log(
      SCOPE,
      `sink received ${stats.received} (${stats.distinctIds} distinct Message-IDs) in ` +
        `${seconds.toFixed(2)}s; queue after stop: ${formatCounts(queue)}`,
    );
    return {
      notifications: count,
      seedSeconds,
      startupMs,
      complete,
      seconds,
      messagesPerSec: complete && seconds > 0 ? count / seconds : Number.NaN,
      steadyPerSec: sendingSeconds > 0 ? (stats.received - 1) / sendingSeconds : Number.NaN,
      firstMessageMs: stats.firstAt === null ? null : stats.firstAt - listeningWall,
      sink: stats,
      queue,
      rssIdleBytes,
      rssMaxSendingBytes: rssStats.maxBytes,
      peakRssBytes,
      serverCpuCores: seconds > 0 ? (cpuEnd - cpuStart) / (seconds * 1000) : Number.NaN,
      serverCpuMsPerMessage: stats.received > 0 ? (cpuEnd - cpuStart) / stats.received : Number.NaN,
      notifySummary,
      serverCommand: server.command,
    };
  } finally {
    removeTempDir(dataDir);
  }
}
