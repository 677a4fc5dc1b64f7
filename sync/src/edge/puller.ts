/**
 * The clinic node's pull (sync/SPEC.md section 5): one `pullOnce` brings every shape up to
 * date with central, table by table, parents first, through `@electric-sql/client`'s
 * ShapeStream (`subscribe: false`: catch up, then stop).
 *
 * Per table: resume from the stored `{offset, handle}` (none: snapshot from -1), convert
 * each change message from PostgreSQL text to a domain record (the client parses by the
 * `electric-schema` types: int4 -> number, bool -> boolean; timestamptz here -> epoch ms,
 * int8 -> number), and hand the messages to the store adapter at each `up-to-date`
 * together with the stream's new offset and handle (one SQLite transaction). A long
 * snapshot is also flushed every `flushEvery` messages WITHOUT a position, which bounds
 * the node's memory on a first sync; that is safe because applying a message twice
 * changes nothing, and the position only moves at an up-to-date. After each table the
 * rows parked for a missing parent are retried.
 *
 * Storage is injected (this package does not import store-sqlite). Nothing is left
 * running when `pullOnce` settles: every request of every stream goes through one
 * AbortController that is aborted at the end, and timers are cleared.
 */
import {
  FetchError,
  isChangeMessage,
  isControlMessage,
  ShapeStream,
  type Message,
  type Row,
} from '@electric-sql/client';
import type { Appointment, ConflictRecord, Facility, Patient, User } from '@clinic/domain';
import { PROTOCOL_VERSION, SHAPE_TABLES, type ShapeTable } from '../protocol';

/** Where a shape stream stands: what its next request sends as `offset` and `handle`. */
export interface ShapePosition {
  offset: string;
  handle: string;
}

/** A pulled row: the domain record of its table (times epoch ms, booleans). */
export type PulledRow =
  | Facility
  | Omit<User, 'facilities'>
  | { user_id: string; facility_id: string }
  | Patient
  | Appointment
  | ConflictRecord;

/** The key columns a delete carries. */
export type PulledKey = { id: string } | { user_id: string; facility_id: string };

export type PulledMessage =
  | { op: 'insert' | 'update'; row: PulledRow }
  | { op: 'delete'; row: PulledKey }
  | { op: 'must-refetch' };

export interface PulledBatchResult {
  applied: number;
  deferred: number;
  deleted: number;
  skipped: number;
  /** The latest HLC seen in the batch's rows. */
  maxHlc: string | undefined;
}

/** The node's storage, as the puller needs it (store-sqlite's pull-apply.ts, bound). */
export interface PullStore {
  readPosition(table: ShapeTable): ShapePosition | undefined | Promise<ShapePosition | undefined>;
  /** Applies the messages and stores `position` (null: keep it) in one transaction. */
  applyBatch(
    table: ShapeTable,
    messages: readonly PulledMessage[],
    position: ShapePosition | null,
  ): Promise<PulledBatchResult>;
  /** Applies parked rows whose parents have arrived; returns how many. */
  retryDeferredParents(): Promise<number>;
}

export interface PullOptions {
  /** Central's base URL, e.g. `http://central:8080`. */
  centralUrl: string;
  /** The node token (`clinic-node.<id>.<secret>`). */
  token: string;
  store: PullStore;
  /** Default: every shape, parents first (SHAPE_TABLES). */
  tables?: readonly ShapeTable[];
  signal?: AbortSignal;
  fetchClient?: typeof fetch;
  /** The whole pull must end within this. Default 120 s. */
  timeoutMs?: number;
  /** Apply a snapshot in parts of this many messages (bounds memory). Default 1,000. */
  flushEvery?: number;
  /** Retries of a request that failed on the network or with 5xx/429. Default 3. */
  retries?: number;
  /** Path of the shape endpoint. Default `/sync/v<PROTOCOL_VERSION>/shape`. */
  shapePath?: string;
}

export interface TablePullReport {
  /** Change messages received. */
  messages: number;
  applied: number;
  deferred: number;
  deleted: number;
  skipped: number;
  /** Central answered must-refetch (handle expired): the table was fetched again. */
  refetched: boolean;
}

export interface PullReport {
  tables: Partial<Record<ShapeTable, TablePullReport>>;
  /** Parked rows applied once their parents arrived. */
  parentsApplied: number;
  /** The latest HLC seen in any pulled row: `observe()` it. */
  maxHlc: string | undefined;
}

export type PullErrorKind =
  'unauthorized' | 'unreachable' | 'server' | 'timeout' | 'aborted' | 'protocol' | 'apply';

/** Why a pull failed; `kind` says what to do (401 `unauthorized`: the token was revoked). */
export class PullError extends Error {
  override name = 'PullError';
  readonly kind: PullErrorKind;
  readonly status: number | undefined;

  constructor(
    kind: PullErrorKind,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
  }
}

const TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?)$/;

/** PostgreSQL timestamptz text (`2025-01-06 08:00:00.123+00`, any offset) -> epoch ms. */
export function parseTimestamptz(text: string): number {
  const m = TIMESTAMPTZ.exec(text);
  if (!m) throw new PullError('protocol', `Not a timestamptz: ${text}`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const micros = Number(frac.padEnd(6, '0'));
  let offsetMs = 0;
  if (zone !== 'Z') {
    const [zh = 0, zm = 0, zs = 0] = zone.slice(1).match(/\d\d/g)?.map(Number) ?? [];
    offsetMs = (zone.startsWith('-') ? -1 : 1) * ((zh * 60 + zm) * 60 + zs) * 1000;
  }
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return utc + Math.round(micros / 1000) - offsetMs;
}

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new PullError('protocol', `int8 out of range: ${text}`);
  return n;
}

const PARSER = { timestamptz: parseTimestamptz, int8: parseInt8 };

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The PullError for what the client reported (after its own retries). */
function toPullError(table: ShapeTable, error: unknown): PullError {
  if (error instanceof PullError) return error;
  if (error instanceof FetchError) {
    const { status } = error;
    const detail = (error.json as { detail?: unknown } | undefined)?.detail ?? error.text ?? '';
    if (status === 401 || status === 403) {
      return new PullError(
        'unauthorized',
        `Central refused the node token (${status}): revoked or invalid. ${String(detail)}`.trim(),
        { status, cause: error },
      );
    }
    const kind = status >= 500 || status === 429 ? 'server' : 'protocol';
    return new PullError(kind, `Pulling ${table}: central answered ${status} ${String(detail)}`, {
      status,
      cause: error,
    });
  }
  if (error instanceof TypeError || /fetch failed|ECONNREFUSED|ECONNRESET/i.test(describe(error))) {
    const cause = (error as { cause?: unknown }).cause;
    const reason = cause === undefined ? describe(error) : `${describe(error)}: ${describe(cause)}`;
    return new PullError('unreachable', `Central is unreachable (${reason}).`, { cause: error });
  }
  return new PullError('protocol', `Pulling ${table}: ${describe(error)}`, { cause: error });
}

function toPulledMessage(message: Message<Row>): PulledMessage | undefined {
  if (!isChangeMessage(message)) return undefined;
  const { operation } = message.headers;
  if (operation === 'delete') return { op: 'delete', row: message.value as unknown as PulledKey };
  return { op: operation, row: message.value as unknown as PulledRow };
}

interface TableContext {
  options: PullOptions;
  url: string;
  /** Aborted when the whole pull must stop (timeout, caller's signal, end). */
  signal: AbortSignal;
  report: PullReport;
}

/** Pulls one table until its stream is up to date. */
async function pullTable(table: ShapeTable, ctx: TableContext): Promise<TablePullReport> {
  const { options, signal } = ctx;
  const position = await options.store.readPosition(table);
  const flushEvery = options.flushEvery ?? 1_000;
  const tableReport: TablePullReport = {
    messages: 0,
    applied: 0,
    deferred: 0,
    deleted: 0,
    skipped: 0,
    refetched: false,
  };
  // Every request of this stream, prefetches included, ends when this controller aborts.
  const streamController = new AbortController();
  const baseFetch = options.fetchClient ?? fetch;
  const fetchClient: typeof fetch = (input, init) =>
    baseFetch(input, {
      ...init,
      signal: init?.signal
        ? AbortSignal.any([init.signal, streamController.signal])
        : streamController.signal,
    });

  return new Promise<TablePullReport>((resolve, reject) => {
    let settled = false;
    let pending: PulledMessage[] = [];
    let applying: Promise<unknown> = Promise.resolve();
    let unsubscribe = () => {};

    const stream = new ShapeStream<Row>({
      url: ctx.url,
      params: { table },
      headers: { authorization: `Bearer ${options.token}` },
      subscribe: false,
      ...(position
        ? { offset: position.offset as `${number}_${number}`, handle: position.handle }
        : {}),
      signal: streamController.signal,
      fetchClient,
      parser: PARSER,
      backoffOptions: {
        initialDelay: 200,
        maxDelay: 2_000,
        multiplier: 2,
        maxRetries: options.retries ?? 3,
      },
      // Returning nothing stops the stream: pullOnce reports the error.
      onError: (error) => {
        finish(toPullError(table, error));
      },
    });

    const finish = (error?: PullError) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      stream.unsubscribeAll();
      streamController.abort();
      signal.removeEventListener('abort', onAbort);
      // Settle only once the batch being written (if any) has committed or failed.
      void applying
        .catch(() => undefined)
        .then(() => (error ? reject(error) : resolve(tableReport)));
    };
    const onAbort = () =>
      finish(
        signal.reason instanceof PullError
          ? signal.reason
          : new PullError('aborted', 'The pull was aborted.'),
      );

    const apply = async (messages: PulledMessage[], at: ShapePosition | null) => {
      const run = options.store.applyBatch(table, messages, at);
      applying = run;
      const result = await run;
      tableReport.applied += result.applied;
      tableReport.deferred += result.deferred;
      tableReport.deleted += result.deleted;
      tableReport.skipped += result.skipped;
      const hlc = result.maxHlc;
      if (hlc !== undefined && (ctx.report.maxHlc === undefined || hlc > ctx.report.maxHlc)) {
        ctx.report.maxHlc = hlc;
      }
      collectAfterLargeBatch(messages.length);
    };

    const onMessages = async (messages: Message<Row>[]) => {
      if (settled) return;
      try {
        let upToDate = false;
        for (const message of messages) {
          const pulled = toPulledMessage(message);
          if (pulled) {
            pending.push(pulled);
            tableReport.messages += 1;
          } else if (isControlMessage(message) && message.headers.control === 'must-refetch') {
            // The messages of the expired handle are void; forget the stored position.
            pending = [{ op: 'must-refetch' }];
            tableReport.refetched = true;
          } else if (isControlMessage(message) && message.headers.control === 'up-to-date') {
            upToDate = true;
          }
        }
        // isUpToDate also covers an up-to-date the client chose not to deliver (a batch
        // it took for a replay of a recent stream of the same shape).
        if (upToDate || stream.isUpToDate) {
          const handle = stream.shapeHandle;
          if (handle === undefined) throw new PullError('protocol', 'Central sent no handle.');
          const batch = pending;
          pending = [];
          await apply(batch, { offset: stream.lastOffset, handle });
          finish();
        } else if (pending.length >= flushEvery) {
          const batch = pending;
          pending = [];
          await apply(batch, null);
        }
      } catch (error) {
        finish(
          error instanceof PullError
            ? error
            : new PullError('apply', `Applying ${table} failed: ${describe(error)}`, {
                cause: error,
              }),
        );
      }
    };

    signal.addEventListener('abort', onAbort, { once: true });
    unsubscribe = stream.subscribe(onMessages, (error) => finish(toPullError(table, error)));
    if (signal.aborted) onAbort();
  });
}

/**
 * Pulls every table once, in order, each to up-to-date. Resolves with what was applied;
 * rejects with a PullError (`unauthorized`: 401, the token was revoked; `unreachable`;
 * `server`; `timeout`; `aborted`; `protocol`; `apply`).
 */
/**
 * A first sync parses tens of megabytes of JSON that is garbage as soon as it is applied;
 * V8 lets it pile up (a 50k-appointment snapshot peaked near 145 MB of RSS). When the
 * process exposes gc (`clinic` runs node with --expose-gc), a full collection after each
 * large batch keeps a node's memory bounded for a few milliseconds each.
 */
function collectAfterLargeBatch(size: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (size >= 1_000 && typeof gc === 'function') gc();
}

export async function pullOnce(options: PullOptions): Promise<PullReport> {
  const tables = options.tables ?? SHAPE_TABLES;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const url = `${options.centralUrl.replace(/\/+$/, '')}${options.shapePath ?? `/sync/v${PROTOCOL_VERSION}/shape`}`;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new PullError('timeout', `The pull took longer than ${timeoutMs} ms.`)),
    timeoutMs,
  );
  const onAbort = () => controller.abort(new PullError('aborted', 'The pull was aborted.'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const report: PullReport = { tables: {}, parentsApplied: 0, maxHlc: undefined };
  try {
    for (const table of tables) {
      report.tables[table] = await pullTable(table, {
        options,
        url,
        signal: controller.signal,
        report,
      });
      report.parentsApplied += await options.store.retryDeferredParents();
    }
    return report;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
