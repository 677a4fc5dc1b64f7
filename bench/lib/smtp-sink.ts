/**
 * Starts the benchmark's SMTP sink (bench/lib/smtp-sink-child.ts) as a child process and
 * talks to it: its URL for `--smtp-url`, counts of what it received (with the wall-clock
 * arrival times, so they compare with Date.now() here), reset, and stop by its pid. The
 * child is tracked by cleanup.ts like the servers, and exits by itself if we die.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killChild, trackChild } from './cleanup';
import { REPO_ROOT } from './server';

const CHILD = fileURLToPath(new URL('./smtp-sink-child.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 10_000;

/** What the sink has received since it started (or since the last reset). */
export interface SinkStats {
  /** Messages accepted (each answered 250). */
  received: number;
  /** Distinct Message-ID headers among them. */
  distinctIds: number;
  /** Messages whose Message-ID an earlier message already had. */
  duplicates: number;
  withoutId: number;
  /** Date.now() when the first / last message arrived. */
  firstAt: number | null;
  lastAt: number | null;
  /** Date.now() when message number `nth` (1-based) arrived, when asked and received. */
  nthAt: number | null;
  /** Messages that arrived in [fromMs, toMs] (Date.now() times), when asked. */
  inRange: number | null;
}

export type SinkRequest =
  | { type: 'reset'; id: number }
  | { type: 'stats'; id: number; nth?: number; fromMs?: number; toMs?: number };

export type SinkReply =
  | { type: 'ready'; port: number }
  | { type: 'reset'; id: number }
  | { type: 'stats'; id: number; stats: SinkStats };

export interface SmtpSinkProcess {
  pid: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  stats(query?: { nth?: number; fromMs?: number; toMs?: number }): Promise<SinkStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSinkProcess> {
  const child: ChildProcess = fork(CHILD, [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  trackChild(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the SMTP sink did not start within ${START_TIMEOUT_MS / 1000}s`));
    }, START_TIMEOUT_MS);
    const onMessage = (m: SinkReply) => {
      if (m.type !== 'ready') return;
      done();
      resolve(m.port);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`the SMTP sink exited during start (code ${code})`));
    };
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  }).catch(async (err: unknown) => {
    await killChild(child, 2_000);
    throw err;
  });

  let nextId = 1;
  const ask = <T extends SinkReply>(req: SinkRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`the SMTP sink did not answer ${req.type}`));
      }, REPLY_TIMEOUT_MS);
      const onMessage = (m: SinkReply) => {
        if (m.type === req.type && 'id' in m && m.id === req.id) {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m as T);
        }
      };
      child.on('message', onMessage);
      child.send(req);
    });

  return {
    pid: child.pid as number,
    url: `smtp://127.0.0.1:${port}`,
    async stats(query = {}) {
      const reply = await ask<Extract<SinkReply, { type: 'stats' }>>({
        type: 'stats',
        id: nextId++,
        ...query,
      });
      return reply.stats;
    },
    async reset() {
      await ask({ type: 'reset', id: nextId++ });
    },
    stop: () => killChild(child, 2_000),
  };
}
