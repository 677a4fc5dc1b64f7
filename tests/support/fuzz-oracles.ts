/**
 * The properties every API answer must have, whatever was asked:
 * - never a 5xx;
 * - no stack trace or internal detail (driver, SQL, JavaScript error names) in an error body;
 * - every 4xx body in the spec's shape: `{"detail": string}` or `{field: [string, ...]}`;
 * - no name, phone, email or MRN of a fixture person in an error body or a log line
 *   (unless the request itself carried it);
 * - no 2xx without a token, or for a patient-role user, or for a provider on admin-only
 *   operations (docs/API.md's role table), or for a session cookie on an unsafe method
 *   without its CSRF token;
 * - an answer within a few seconds (deep nesting must not stall a node);
 * - a successful write answers with what was written: a writable field (one some request
 *   body of the document declares) is never silently ignored or changed.
 */
import type { Exchange, Violation } from './fuzz-recorder';

/** Longest time one in-process request may take. */
export const SLOW_MS = 3_000;

/** Words and shapes that only internals would put in a body. */
const INTERNAL_MARKERS = [
  'SQLSTATE',
  'postgres',
  'Postgres',
  'PGlite',
  'pglite',
  'sqlite',
  'SQLite',
  'SQLITE_',
  'better-sqlite3',
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'node_modules',
  'Unexpected token',
  'Maximum call stack',
  'duplicate key',
  'violates',
  'constraint',
  'relation "',
  'Cannot read propert',
  'is not a function',
  'undefined',
  '[object Object]',
  'NaN',
];
const STACK_FRAME = /\n\s+at |\bat [^\s()]+ \([^)]*:\d+:\d+\)|\.(?:ts|js|mjs|cjs):\d+/;

/** Markers of a JavaScript value printed where a message was meant (API messages only). */
const VALUE_MARKERS = new Set(['undefined', '[object Object]', 'NaN']);

/** The markers found in `text` that the request did not send itself. */
export function internalsIn(
  text: string,
  requestText: string,
  options: { valueMarkers?: boolean } = {},
): string[] {
  const markers = INTERNAL_MARKERS.filter(
    (m) => options.valueMarkers !== false || !VALUE_MARKERS.has(m),
  );
  const found = markers.filter((m) => text.includes(m) && !requestText.includes(m));
  if (STACK_FRAME.test(text) && !STACK_FRAME.test(requestText)) found.push('stack frame');
  return found;
}

/** Why `text` is not a DRF-shaped error body, or undefined when it is. */
export function errorShapeProblem(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'the body is not an object';
  const entries = Object.entries(body);
  if (entries.length === 0) return 'the body is an empty object';
  if (entries.length === 1 && entries[0]?.[0] === 'detail' && typeof entries[0][1] === 'string') {
    return undefined;
  }
  for (const [field, messages] of entries) {
    if (!Array.isArray(messages) || messages.length === 0) {
      return `"${field}" is not a non-empty list of messages`;
    }
    if (!messages.every((x) => typeof x === 'string' && x.length > 0)) {
      return `"${field}" holds something other than message strings`;
    }
  }
  return undefined;
}

/** Identifying values found in `text` that the request did not carry. */
export function piiIn(text: string, pii: readonly string[], requestText: string): string[] {
  return pii.filter((p) => text.includes(p) && !requestText.includes(p));
}

/** The text of a request the leak checks compare against (a leak must not be an echo). */
export function requestTextOf(e: Exchange): string {
  let decoded = e.url;
  try {
    decoded = decodeURIComponent(e.url);
  } catch {
    // keep it encoded
  }
  return `${e.url}\n${decoded}\n${e.requestBody ?? ''}\n${JSON.stringify(e.requestHeaders)}`;
}

/** Operations only an admin may call (docs/API.md: providers list and read reference data). */
function adminOnly(method: string, path: string): boolean {
  if (/^\/api\/v1\/(nodes|notifications)\b/.test(path)) return true;
  if (/^\/api\/v1\/conflicts\/[^/]+\/resolve/.test(path)) return true;
  return (
    /^\/api\/v1\/(facilities|users)\b/.test(path) && !['GET', 'HEAD', 'OPTIONS'].includes(method)
  );
}

const OPEN_PATHS = /^\/(healthz|api\/v1\/(auth\/|openapi\.json|docs)|$|assets\/|app\.)/;

export interface ApiContext {
  pii: readonly string[];
  /** Whether the operation requires a token (from the document). */
  auth: boolean;
  /** Fields a client may write, by resource path (from the document). */
  writable: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Whether an answer's value is what was sent (times compared as instants, text trimmed). */
function sameValue(field: string, sent: unknown, answered: unknown): boolean {
  if (typeof sent === 'string' && typeof answered === 'string') {
    if (/_time$/.test(field)) return Date.parse(sent) === Date.parse(answered);
    return sent.trim() === answered;
  }
  if (Array.isArray(sent) && Array.isArray(answered)) {
    const set = (a: unknown[]) =>
      JSON.stringify([...new Set(a.map((x) => JSON.stringify(x)))].sort());
    return set(sent) === set(answered);
  }
  return JSON.stringify(sent) === JSON.stringify(answered);
}

/** Writable fields a successful write answered with another value than the one sent. */
export function ignoredFields(
  e: Exchange,
  writable: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  if (!['POST', 'PUT', 'PATCH'].includes(e.method) || e.status < 200 || e.status >= 300) return [];
  const resource = /^\/api\/v1\/[a-z-]+/.exec(e.url)?.[0];
  const fields = resource ? writable.get(resource) : undefined;
  if (!fields || e.requestBody === undefined) return [];
  let sent: unknown;
  let answered: unknown;
  try {
    sent = JSON.parse(e.requestBody);
    answered = JSON.parse(e.responseText);
  } catch {
    return [];
  }
  if (!sent || typeof sent !== 'object' || !answered || typeof answered !== 'object') return [];
  const out: string[] = [];
  for (const [field, value] of Object.entries(sent)) {
    if (field === 'password' || !fields.has(field) || !(field in answered)) continue;
    const got = (answered as Record<string, unknown>)[field];
    if (!sameValue(field, value, got))
      out.push(`${field}: sent ${JSON.stringify(value)}, answered ${JSON.stringify(got)}`);
  }
  return out;
}

export function apiViolations(e: Exchange, ctx: ApiContext): Violation[] {
  const out: Violation[] = [];
  const v = (property: string, message: string) => out.push({ property, message, exchange: e });
  const requestText = requestTextOf(e);
  // The path as the router sees it: dot segments and doubled slashes resolved.
  const path = new URL(e.url, 'http://clinic.test').pathname.replace(/\/{2,}/g, '/');

  if (e.status >= 500) v('5xx', `answered ${e.status}`);
  if (e.ms > SLOW_MS) v('slow', `took ${e.ms} ms (limit ${SLOW_MS} ms)`);
  if (e.status >= 400) {
    const internals = internalsIn(e.responseText, requestText);
    if (internals.length > 0) v('internals', `error body shows ${internals.join(', ')}`);
    if (e.status < 500 && e.method !== 'HEAD') {
      const problem = errorShapeProblem(e.responseText);
      if (problem) v('error-shape', problem);
    }
    const leaked = piiIn(e.responseText, ctx.pii, requestText);
    if (leaked.length > 0) v('pii', `error body holds ${leaked.join(', ')}`);
  }
  const logged = piiIn(e.logLines.join('\n'), ctx.pii, requestText);
  if (logged.length > 0) v('pii-log', `log lines hold ${logged.join(', ')}`);

  const ignored = ignoredFields(e, ctx.writable);
  if (ignored.length > 0)
    v('ignored-field', `a successful write silently ignored ${ignored.join('; ')}`);

  const ok = e.status >= 200 && e.status < 300;
  if (
    ok &&
    ctx.auth &&
    (e.actor === 'anonymous' || e.actor === 'bad-token') &&
    !OPEN_PATHS.test(path)
  ) {
    v('auth', `answered ${e.status} to ${e.actor}`);
  }
  if (ok && e.actor === 'patient' && !OPEN_PATHS.test(path)) {
    v('auth', `answered ${e.status} to a patient-role user`);
  }
  if (
    ok &&
    e.actor === 'session-no-csrf' &&
    ctx.auth &&
    !OPEN_PATHS.test(path) &&
    !['GET', 'HEAD', 'OPTIONS'].includes(e.method)
  ) {
    v('csrf', `answered ${e.status} to a session cookie without its CSRF token`);
  }
  if (ok && e.actor === 'provider' && adminOnly(e.method, path)) {
    v('auth', `answered ${e.status} to a provider on an admin-only operation`);
  }
  return out;
}
