/**
 * The clinic node's sync engine (sync/SPEC.md sections 2 and 5): one cycle pushes the
 * outbox in sequence order, then pulls every shape. Cycles run on start, shortly after a
 * local write, periodically (more slowly while central is unreachable, to notice the
 * reconnect) and on demand; never two at once. Its status is what it last saw, and a
 * cycle that failed or timed out is reported as a failure.
 */
import type { SyncStatus } from '@clinic/core';
import { DomainError, ErrorCode, type Clock, type HybridClock } from '@clinic/domain';
import { gzipSync } from 'node:zlib';
import {
  MAX_PUSH_BATCH,
  PROTOCOL_VERSION,
  pushResponseV3,
  type Mutation,
  type PushResult,
} from '../protocol';
import { META, type Enrollment } from './enroll';
import type { EdgeOutboxStore } from './ports';

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SyncEngineOptions {
  enrollment: Enrollment;
  outbox: EdgeOutboxStore;
  /** Pulls every shape once (puller.ts bound to the node's store); resolves when up to date. */
  pull: (signal: AbortSignal) => Promise<void>;
  /** Parks/applies central's rows carried by push answers (pull-apply's deferred rows). */
  onAnswers: (results: readonly PushResult[]) => Promise<void>;
  clock: Clock;
  hlc: HybridClock;
  logger: SyncLogger;
  fetchImpl?: typeof fetch;
  /** Default 5 s while online, 15 s while offline. */
  intervalMs?: number;
  offlineIntervalMs?: number;
  /** Delay between a local write and the push it triggers. Default 250 ms. */
  debounceMs?: number;
  /** Timeout of one push request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Timeout of one whole pull. Default 120 s. */
  pullTimeoutMs?: number;
}

export type { SyncStatus } from '@clinic/core';

/** Central could not be reached or did not answer in time (503 on sync/run). */
export class CentralUnreachable extends Error {
  override name = 'CentralUnreachable';
}

/** Central refused the node (401: token revoked). */
export class NodeRevoked extends Error {
  override name = 'NodeRevoked';
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return `${error.message}${reason}`.slice(0, 500);
  }
  return String(error).slice(0, 500);
}

function isNetworkError(error: unknown): boolean {
  if (error instanceof CentralUnreachable) return true;
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    error.name === 'FetchError' ||
    /fetch failed|ECONNREFUSED|ECONNRESET|socket|network|terminated|timed? ?out/i.test(
      describeError(error),
    )
  );
}

/**
 * Most JSON text of mutation arguments in one push, before gzip (~5-10x smaller on the
 * wire): a batch then crosses a 32 kbit/s GPRS link in well under central's 60 s request
 * timeout. At least one mutation always goes, however large.
 */
export const MAX_PUSH_BYTES = 512 * 1024;

/** The longest prefix of `rows` (in seq order) within MAX_PUSH_BYTES, never empty. */
export function batchBySize<T extends { args: string }>(rows: T[]): T[] {
  let bytes = 0;
  for (const [i, row] of rows.entries()) {
    bytes += row.args.length;
    if (bytes > MAX_PUSH_BYTES && i > 0) return rows.slice(0, i);
  }
  return rows;
}

export function createSyncEngine(opts: SyncEngineOptions) {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const base = opts.enrollment.centralUrl.replace(/\/+$/, '');
  const intervalMs = opts.intervalMs ?? 5_000;
  const offlineIntervalMs = opts.offlineIntervalMs ?? 15_000;
  const debounceMs = opts.debounceMs ?? 250;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const pullTimeoutMs = opts.pullTimeoutMs ?? 120_000;

  let online = false;
  let lastError: string | null = null;
  // Why the last push / pull failed (null: it worked, or there was nothing to push).
  let pushError: string | null = null;
  let pullError: string | null = null;
  // Whether central answered a push request in the current cycle (any HTTP answer).
  let pushAnswered = false;
  let lastPushAt: number | null = null;
  let lastPullAt: number | null = null;
  let lastSuccessAt: number | null = null;
  let chain: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let stopped = false;
  const stopController = new AbortController();

  async function loadTimes() {
    const read = async (key: string) => {
      const v = await opts.outbox.getMeta(key);
      return v === undefined ? null : Number(v);
    };
    lastPushAt = await read(META.lastPushAt);
    lastPullAt = await read(META.lastPullAt);
    lastSuccessAt = await read(META.lastSuccessAt);
  }

  async function pushOnce(signal: AbortSignal): Promise<'done' | 'more' | 'stuck'> {
    const rows = batchBySize(await opts.outbox.pending(MAX_PUSH_BATCH));
    if (rows.length === 0) return 'done';
    const backlog = await opts.outbox.countPending();
    const mutations = rows.map(
      (r) =>
        ({
          seq: r.seq,
          kind: r.kind,
          entity_id: r.entity_id,
          hlc: r.hlc,
          args: JSON.parse(r.args),
        }) as Mutation,
    );
    let response: Response;
    try {
      const body = gzipSync(
        JSON.stringify({
          protocol_version: PROTOCOL_VERSION,
          node_id: opts.enrollment.nodeId,
          backlog,
          mutations,
        }),
      );
      response = await fetchImpl(`${base}/sync/v${PROTOCOL_VERSION}/push`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.enrollment.token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]),
      });
    } catch (error) {
      throw new CentralUnreachable(`push failed: ${describeError(error)}`);
    }
    pushAnswered = true;
    if (response.status === 401)
      throw new NodeRevoked('Central refused the node token (revoked?).');
    if (response.status >= 500) {
      throw new CentralUnreachable(`push failed: central answered ${response.status}`);
    }
    if (!response.ok) {
      throw new Error(`push refused: central answered ${response.status} ${await response.text()}`);
    }
    const parsed = pushResponseV3.safeParse(await response.json());
    if (!parsed.success) throw new Error('push failed: central sent a malformed answer');
    const answers = parsed.data.results.filter(
      (r): r is PushResult & { outcome: 'applied' | 'applied_with_conflict' | 'rejected' } =>
        r.outcome !== 'deferred',
    );
    for (const r of answers) {
      const clocks = r.row && typeof r.row.clocks === 'string' ? r.row.clocks : undefined;
      if (clocks)
        for (const stamp of Object.values(JSON.parse(clocks) as object))
          opts.hlc.observe(String(stamp));
    }
    await opts.outbox.acknowledge(answers, opts.clock.now());
    await opts.onAnswers(answers);
    await opts.outbox.setMeta(META.centralKeys, JSON.stringify(parsed.data.central_keys));
    lastPushAt = opts.clock.now();
    await opts.outbox.setMeta(META.lastPushAt, String(lastPushAt));
    // Central answered: the status says so now, not only when the whole cycle is over.
    online = true;
    for (const r of answers) {
      if (r.outcome === 'rejected') {
        opts.logger.warn({ seq: r.seq, code: r.code }, 'central rejected a mutation');
      }
    }
    // Nothing answered means central is missing an earlier mutation (a gap). This node's
    // outbox keeps every row, so central was restored from an older backup.
    return answers.length === 0 ? 'stuck' : 'more';
  }

  /** Pushes the whole outbox, batch after batch. */
  async function pushAll(signal: AbortSignal): Promise<void> {
    // Every 'more' acknowledged at least one mutation, so this ends.
    for (let step = await pushOnce(signal); step !== 'done'; step = await pushOnce(signal)) {
      if (step === 'stuck') {
        throw new Error(
          'central is missing earlier changes of this node (restored from a backup?): ' +
            'an operator must re-enroll the node',
        );
      }
    }
  }

  /** Pulls every shape; network failures become CentralUnreachable. */
  async function pullAll(signal: AbortSignal): Promise<void> {
    const pullSignal = AbortSignal.any([signal, AbortSignal.timeout(pullTimeoutMs)]);
    try {
      await opts.pull(pullSignal);
    } catch (error) {
      if (error instanceof NodeRevoked) throw error;
      if (isNetworkError(error) || pullSignal.aborted) {
        throw new CentralUnreachable(`pull failed: ${describeError(error)}`);
      }
      throw error;
    }
    lastPullAt = opts.clock.now();
    await opts.outbox.setMeta(META.lastPullAt, String(lastPullAt));
  }

  /**
   * One cycle: push, then pull. A push that central answered but that failed (a 5xx, a
   * refusal, a gap) does not stop the pull, so the node keeps receiving central's changes;
   * a push that reached nobody skips it (the pull would only wait to time out). `online`
   * says whether central answered at all; `push_error` / `pull_error` say which way failed.
   */
  async function cycle(): Promise<void> {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, stopController.signal]);
    const wasOnline = online;
    inFlight += 1;
    pushAnswered = false;
    let failure: unknown;
    try {
      await pushAll(signal);
      pushError = null;
    } catch (error) {
      failure = error;
      pushError = describeError(error);
    }
    let pulled = false;
    if (failure instanceof NodeRevoked || !(pushAnswered || failure === undefined)) {
      pullError = pushError; // not tried: for the same reason
    } else {
      try {
        await pullAll(signal);
        pulled = true;
        pullError = null;
      } catch (error) {
        failure ??= error;
        pullError = describeError(error);
      }
    }
    try {
      online = !(failure instanceof NodeRevoked) && (pushAnswered || pulled);
      if (failure === undefined) {
        lastSuccessAt = lastPullAt;
        await opts.outbox.setMeta(META.lastSuccessAt, String(lastSuccessAt));
        lastError = null;
        if (!wasOnline) opts.logger.info({}, 'sync: central reachable');
        return;
      }
      lastError = describeError(failure);
      if (wasOnline || !(failure instanceof CentralUnreachable)) {
        opts.logger.warn({ error: lastError }, 'sync cycle failed');
      }
      throw failure;
    } finally {
      inFlight -= 1;
      controller.abort();
    }
  }

  /** Queues one cycle after the ones already queued; resolves or rejects with it. */
  function enqueue(): Promise<void> {
    const next = chain.then(() => cycle());
    chain = next.catch(() => undefined);
    return next;
  }

  function schedule(): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        void enqueue()
          .catch(() => undefined)
          .finally(schedule);
      },
      online ? intervalMs : offlineIntervalMs,
    );
    timer.unref();
  }

  return {
    async start(): Promise<void> {
      await loadTimes();
      void enqueue()
        .catch(() => undefined)
        .finally(schedule);
    },

    /** A local write happened: push soon (debounced). */
    notifyWrite(): void {
      if (stopped) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        void enqueue().catch(() => undefined);
      }, debounceMs);
      debounce.unref();
    },

    /** One push and pull now, after any cycle in progress; throws Unavailable when offline. */
    async run(): Promise<SyncStatus> {
      try {
        await enqueue();
      } catch (error) {
        if (error instanceof CentralUnreachable || error instanceof NodeRevoked) {
          throw new DomainError(
            ErrorCode.Unavailable,
            `Central is unreachable: ${describeError(error)}`,
          );
        }
        throw new DomainError(ErrorCode.Unavailable, `Sync failed: ${describeError(error)}`);
      }
      return this.status();
    },

    async status(): Promise<SyncStatus> {
      return {
        online,
        central_url: opts.enrollment.centralUrl,
        node_id: opts.enrollment.nodeId,
        pending_mutations: await opts.outbox.countPending(),
        last_push_at: lastPushAt,
        last_pull_at: lastPullAt,
        last_success_at: lastSuccessAt,
        last_error: lastError,
        push_error: pushError,
        pull_error: pullError,
        rejected: await opts.outbox.rejected(50),
        open_conflicts: await opts.outbox.countOpenConflicts(),
      };
    },

    get busy(): boolean {
      return inFlight > 0;
    },

    /** Stops the timers, aborts a cycle in flight and waits for it to end. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(debounce);
      stopController.abort();
      await chain;
    },
  };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
