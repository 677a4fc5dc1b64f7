/**
 * Central's shape server: `GET /sync/v{n}/shape?table=T&offset=O&handle=H[&live=true]`,
 * the Electric Shape protocol over the change log (sync/SPEC.md section 5), so clinic
 * nodes pull with the maintained `@electric-sql/client` (retries, backoff, resume,
 * must-refetch) instead of a home-made protocol.
 *
 * Offsets (opaque to the client, `<n>_<n>` in form):
 * - `-1`: the first snapshot page;
 * - `<head>_<key>` (key > 0): the snapshot goes on after `key` (the last key sent, as the
 *   decimal of its 128-bit UUID, or of the 256-bit pair for user_facilities); `head` is
 *   the change-log position of the first page, kept until the snapshot ends;
 * - `<seq>_0`: change-log entries after `seq`. The last snapshot page ends with
 *   `up-to-date` and offset `<head>_0`.
 *
 * Handles are `<table>-<scope hash>-<epoch>`: the hash covers the node's facilities and the
 * served columns, so a changed scope or schema gets a new handle; `epoch` changes when
 * central's change log is reset. A stale handle, or an offset beyond the head, gets 409
 * with the new handle (the client refetches from -1).
 *
 * Live answers carry `electric-cursor`, a fresh value each time. Non-live answers carry
 * none, as Electric's: the client remembers the cursor of a shape's last up-to-date for
 * 60 s and, when a NEW stream of the shape sees that same cursor again before its first
 * up-to-date, does not deliver that up-to-date (a "replay"); a node opens a new stream
 * each pull, so a repeated cursor there could leave it waiting for an up-to-date.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { SHAPE_TABLES, type ShapeTable } from '../protocol';
import type { ShapeColumn, ShapeScope, ShapeSourcePort, ShapeValue } from './ports';

export interface ShapeRouteDeps {
  source: ShapeSourcePort;
  /** The enrolled, not revoked node the bearer token belongs to. */
  authenticate: (
    authorizationHeader: string | undefined,
  ) => Promise<{ id: string; facilities: string[] } | undefined>;
  /** Called after each successful answer (e.g. to record `last_pull_at`). */
  onPull?: (nodeId: string) => void | Promise<void>;
  /** Central's change-log epoch: a new value invalidates every handle. */
  epoch: () => Promise<string> | string;
  /** How long a live request waits for a change. Default 20 s (the client gives up at 45 s). */
  liveTimeoutMs?: number;
  /** How often a live request polls the table's head. Default 250 ms. */
  pollIntervalMs?: number;
  /** Rows per snapshot page and change-log entries per changes page. Default 2,000. */
  snapshotPageSize?: number;
}

const EXPOSED_HEADERS = [
  'electric-handle',
  'electric-offset',
  'electric-schema',
  'electric-cursor',
  'electric-up-to-date',
].join(', ');

const UP_TO_DATE: Message = { headers: { control: 'up-to-date' } };
const MUST_REFETCH = '[{"headers":{"control":"must-refetch"}}]';

type Offset =
  | { kind: 'start' }
  | { kind: 'snapshot'; head: number; afterKey: string }
  | { kind: 'changes'; seq: number };

interface Message {
  headers: { operation: 'insert' | 'update' | 'delete' } | { control: 'up-to-date' };
  key?: string;
  value?: ShapeValue;
}

interface Answer {
  messages: Message[];
  /** The `electric-offset` to send. */
  offset: string;
  upToDate: boolean;
}

class BadRequest extends Error {}

const isShapeTable = (t: string | undefined): t is ShapeTable =>
  (SHAPE_TABLES as readonly string[]).includes(t ?? '');

function keyColumns(columns: readonly ShapeColumn[]): string[] {
  return columns
    .filter((c) => c.pkIndex !== undefined)
    .sort((a, b) => (a.pkIndex ?? 0) - (b.pkIndex ?? 0))
    .map((c) => c.name);
}

/** `01234567-89ab-...` (one per key column, joined by `:`) -> the decimal of its bits. */
export function encodeKey(key: string): string {
  return BigInt(`0x${key.replace(/[-:]/g, '')}`).toString(10);
}

/** The inverse of encodeKey for a key of `parts` UUIDs; throws BadRequest when malformed. */
export function decodeKey(decimal: string, parts: number): string {
  const hex = BigInt(decimal)
    .toString(16)
    .padStart(32 * parts, '0');
  if (hex.length !== 32 * parts) throw new BadRequest('Offset key out of range.');
  const uuids: string[] = [];
  for (let i = 0; i < parts; i += 1) {
    const h = hex.slice(32 * i, 32 * (i + 1));
    uuids.push(
      `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    );
  }
  return uuids.join(':');
}

function parseOffset(raw: string | undefined, keyParts: number): Offset {
  if (raw === '-1') return { kind: 'start' };
  const m = /^(\d{1,15})_(\d{1,80})$/.exec(raw ?? '');
  if (!m) throw new BadRequest(`Invalid offset: ${raw ?? '(none)'}.`);
  const seq = Number(m[1]);
  const key = m[2] ?? '0';
  if (/^0+$/.test(key)) return { kind: 'changes', seq };
  return { kind: 'snapshot', head: seq, afterKey: decodeKey(key, keyParts) };
}

/** The `electric-schema` header value: column -> {type, not_null?, pk_index?}. */
function schemaHeader(columns: readonly ShapeColumn[]): string {
  const schema: Record<string, { type: string; not_null?: true; pk_index?: number }> = {};
  for (const c of columns) {
    schema[c.name] = {
      type: c.type,
      ...(c.notNull ? { not_null: true as const } : {}),
      ...(c.pkIndex === undefined ? {} : { pk_index: c.pkIndex }),
    };
  }
  return JSON.stringify(schema);
}

/** 8 hex digits of SHA-256 over the sorted facilities and the served columns. */
function scopeHash(facilities: readonly string[], columns: readonly ShapeColumn[]): string {
  return createHash('sha256')
    .update(JSON.stringify({ facilities, columns }))
    .digest('hex')
    .slice(0, 8);
}

/** Resolves after `ms`, or at once when `signal` aborts (then: false). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (value: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The shape handler, for mounting on any route (`app.get(path, handler)`). */
export function createShapeHandler(deps: ShapeRouteDeps) {
  const { source } = deps;
  const liveTimeoutMs = deps.liveTimeoutMs ?? 20_000;
  const pollIntervalMs = deps.pollIntervalMs ?? 250;
  const pageSize = deps.snapshotPageSize ?? 2_000;
  let cursor = Date.now();

  async function snapshotPage(
    table: ShapeTable,
    scope: ShapeScope,
    head: number | undefined,
    afterKey: string | null,
  ): Promise<Answer> {
    const page = await source.snapshot(table, scope, afterKey, pageSize);
    const snapshotHead = head ?? page.head;
    const messages: Message[] = page.rows.map((r) => ({
      headers: { operation: 'insert' },
      key: r.key,
      value: r.value,
    }));
    const last = page.rows[page.rows.length - 1];
    if (page.rows.length < pageSize || last === undefined) {
      messages.push(UP_TO_DATE);
      return { messages, offset: `${snapshotHead}_0`, upToDate: true };
    }
    return { messages, offset: `${snapshotHead}_${encodeKey(last.key)}`, upToDate: false };
  }

  async function changesPage(table: ShapeTable, scope: ShapeScope, seq: number): Promise<Answer> {
    const page = await source.changes(table, scope, seq, pageSize);
    const keys = keyColumns(source.columns(table));
    const messages: Message[] = page.entries.map((e) => {
      if (e.op === 'update')
        return { headers: { operation: 'update' }, key: e.key, value: e.value };
      // A delete carries the key columns, as Electric's do.
      const parts = e.key.split(':');
      const value: ShapeValue = {};
      keys.forEach((k, i) => (value[k] = parts[i] ?? null));
      return { headers: { operation: 'delete' }, key: e.key, value };
    });
    const upToDate = page.upTo >= page.head;
    if (upToDate) messages.push(UP_TO_DATE);
    return { messages, offset: `${page.upTo}_0`, upToDate };
  }

  /** Waits until the table has an entry after `seq` (or the timeout, or the client left). */
  async function waitForChange(table: ShapeTable, seq: number, signal: AbortSignal) {
    const deadline = Date.now() + liveTimeoutMs;
    for (;;) {
      if ((await source.head(table)) > seq) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      if (!(await pause(Math.min(pollIntervalMs, left), signal))) return false;
    }
  }

  return async function shapeHandler(c: Context): Promise<Response> {
    const common = {
      'cache-control': 'no-store',
      'access-control-expose-headers': EXPOSED_HEADERS,
    };
    const node = await deps.authenticate(c.req.header('authorization'));
    if (!node) {
      return c.json({ detail: 'Invalid or revoked node token.' }, 401, {
        ...common,
        'www-authenticate': 'Bearer',
      });
    }
    const table = c.req.query('table');
    if (!isShapeTable(table)) {
      return c.json({ detail: `Unknown table: ${table ?? '(none)'}.` }, 400, common);
    }
    const columns = source.columns(table);
    const facilities = [...new Set(node.facilities)].sort();
    const scope: ShapeScope = { facilities };
    const handle = `${table}-${scopeHash(facilities, columns)}-${await deps.epoch()}`;
    const mustRefetch = () =>
      c.body(MUST_REFETCH, 409, {
        ...common,
        'content-type': 'application/json',
        'electric-handle': handle,
      });

    let offset: Offset;
    try {
      offset = parseOffset(c.req.query('offset'), keyColumns(columns).length);
    } catch (e) {
      if (e instanceof BadRequest || e instanceof SyntaxError) {
        return c.json({ detail: e.message }, 400, common);
      }
      throw e;
    }
    if (offset.kind !== 'start') {
      const requested = c.req.query('handle');
      if (!requested) return c.json({ detail: 'A handle is required.' }, 400, common);
      if (requested !== handle) return mustRefetch();
      const at = offset.kind === 'changes' ? offset.seq : offset.head;
      // An offset central never handed out (its log was reset or restored from a backup).
      if (at > (await source.head())) return mustRefetch();
    }

    const live = c.req.query('live') === 'true' && offset.kind === 'changes';
    let answer: Answer;
    if (offset.kind === 'start') {
      answer = await snapshotPage(table, scope, undefined, null);
    } else if (offset.kind === 'snapshot') {
      answer = await snapshotPage(table, scope, offset.head, offset.afterKey);
    } else if (live && !(await waitForChange(table, offset.seq, c.req.raw.signal))) {
      answer = { messages: [UP_TO_DATE], offset: `${offset.seq}_0`, upToDate: true };
    } else {
      answer = await changesPage(table, scope, offset.seq);
    }

    await deps.onPull?.(node.id);
    if (live) cursor += 1;
    return c.body(JSON.stringify(answer.messages), 200, {
      ...common,
      'content-type': 'application/json',
      'electric-handle': handle,
      'electric-offset': answer.offset,
      ...(live
        ? { 'electric-cursor': String(cursor) }
        : { 'electric-schema': schemaHeader(columns) }),
      ...(answer.upToDate ? { 'electric-up-to-date': 'true' } : {}),
    });
  };
}

/** The shape server as a Hono app answering `GET /`: mount it at `/sync/v{n}/shape`. */
export function createShapeRoute(deps: ShapeRouteDeps): Hono {
  const app = new Hono({ strict: false });
  app.get('/', createShapeHandler(deps));
  return app;
}
