/**
 * Requests generated from a node's own OpenAPI document (`GET /api/v1/openapi.json`, built
 * from the zod contracts): every operation, with path ids, query parameters and a body
 * that are valid by the document, then (most of the time) one mutation of them: a field
 * dropped, added, of the wrong type, odd Unicode or NUL, huge, deeply nested, a boundary
 * date-time, a body that is not an object or not JSON or over the limit, a bad id, bad
 * paging, unknown or repeated parameters, another content type or method. Who asks is
 * part of the case: admin, provider, a patient-role user, nobody, or a broken token.
 */
import fc from 'fast-check';
import type { FuzzWorld } from './fuzz-fixtures';
import { FUZZ_NOW } from './fuzz-runtime';
import { objectFields, valueFor, type JsonSchema, type SchemaHints } from './fuzz-json-schema';
import { shown } from './fuzz-recorder';
import {
  anyJson,
  deepJsonText,
  edgeNumber,
  hugeString,
  longString,
  malformedJsonText,
  oddDateTime,
  oddString,
  wrongTypeValue,
} from './fuzz-strings';

export interface ApiOperation {
  method: string;
  /** OpenAPI path, e.g. `/api/v1/appointments/{id}`. */
  template: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  body: JsonSchema | undefined;
  /** Whether the document says a bearer token is required. */
  auth: boolean;
}

export const ACTORS = [
  'admin',
  'provider',
  'patient',
  'anonymous',
  'bad-token',
  'session',
  'session-no-csrf',
] as const;
export type Actor = (typeof ACTORS)[number];

/** One generated request, before tokens are filled in. */
export interface FuzzRequest {
  actor: Actor;
  /** For a bad token: which kind. */
  badToken: string;
  method: string;
  /** `METHOD template` of the operation it came from. */
  route: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** What was done to the valid request. */
  mutation: string;
}

/** Routes outside the document that every node serves (or must refuse cleanly). */
const EXTRA_OPERATIONS: ApiOperation[] = [
  ['GET', '/healthz', false],
  ['GET', '/api/v1/openapi.json', false],
  ['GET', '/api/v1/docs', false],
  ['GET', '/', false],
  ['GET', '/api/v1/sync/status', true],
  ['POST', '/api/v1/sync/run', true],
  ['GET', '/api/v1/nope', true],
  ['GET', '/sync/v3/enrollment', true],
].map(([method, template, auth]) => ({
  method: method as string,
  template: template as string,
  pathParams: [],
  query: [],
  body: undefined,
  auth: auth as boolean,
}));

interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every operation of the document, plus a few routes it does not describe. */
export function operationsOf(doc: OpenApiDocument): ApiOperation[] {
  const ops: ApiOperation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: JsonSchema }[];
      const body = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> })
        ?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        template,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema })),
        body,
        auth: !(Array.isArray(op.security) && op.security.length === 0),
      });
    }
  }
  return [...ops, ...EXTRA_OPERATIONS];
}

const MINUTE = 60_000;

/** An ISO time with the given offset (minutes east of UTC). */
function isoAt(ms: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(ms).toISOString().replace('.000Z', 'Z');
  const local = new Date(ms + offsetMinutes * MINUTE).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Times around the harness clock: mostly the coming two weeks, on a 5-minute grid. */
const timeArb = fc
  .tuple(fc.integer({ min: -48 * 12, max: 14 * 24 * 12 }), fc.constantFrom(0, 0, 180, -330, 345))
  .map(([steps, offset]) => isoAt(FUZZ_NOW + steps * 5 * MINUTE, offset));

function pick(pool: readonly string[]): fc.Arbitrary<string> {
  return pool.length === 0
    ? fc.uuid()
    : fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...pool) },
        { weight: 1, arbitrary: fc.uuid() },
      );
}

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

function hintsFor(world: FuzzWorld, components: Record<string, JsonSchema>): SchemaHints {
  const { ids } = world;
  const byName: Record<string, fc.Arbitrary<unknown>> = {
    patient: pick(ids.patients),
    provider: pick(ids.users),
    facility: pick(ids.facilities),
    registered_facility: fc.oneof(pick(ids.facilities), fc.constant(null)),
    facilities: pick(ids.facilities),
    exclude: pick(ids.appointments),
    appointment: pick(ids.appointments),
    start_time: timeArb,
    end_time: timeArb,
    start_time__gte: timeArb,
    start_time__lt: timeArb,
    timezone: fc.constantFrom(
      'Africa/Nairobi',
      'UTC',
      'Asia/Kathmandu',
      'America/St_Johns',
      'Pacific/Chatham',
    ),
    username: hex(8).map((h) => `fz.${h}`),
    password: hex(4).map((h) => `fuzz-password-${h}`),
    email: fc.constantFrom('', 'someone@example.org'),
    phone_number: fc.constantFrom('', '+254 700 123 456'),
    patient_id: hex(8).map((h) => `MRN-G-${h}`),
    page: fc.constantFrom('1', '1', '2'),
    page_size: fc.constantFrom('1', '5', '20', '100'),
    capacity: fc.integer({ min: 1, max: 4 }),
    search: fc.constantFrom('', 'zaw', 'MRN', 'Mwangi', 'a b'),
    refresh: fc.constant(world.tokens.refresh),
    resolution: fc.constant('checked by the fuzzer'),
    name: hex(4).map((h) => `Fuzz ${h}`),
    first_name: fc.constantFrom('Asha', 'Juma'),
    last_name: fc.constantFrom('Otieno', 'Kamau'),
  };
  return {
    resolve(ref) {
      const name = ref.replace('#/components/schemas/', '');
      const found = components[name];
      if (!found) throw new Error(`unknown schema ${ref}`);
      return found;
    },
    forField(name, schema) {
      if (name === undefined || !(name in byName)) return undefined;
      // Only where the field is a string/number/null field (not an object named alike).
      if (schema.type === 'object' || (schema.type === 'array' && name !== 'facilities'))
        return undefined;
      if (schema.type === 'array')
        return fc.array(byName[name] as fc.Arbitrary<unknown>, { minLength: 1, maxLength: 2 });
      return byName[name];
    },
  };
}

/** The id pool of a path parameter, from the resource its path names. */
function poolFor(world: FuzzWorld, template: string, param: string): string[] {
  if (param === 'providerId') return world.ids.users;
  if (param === 'patientId') return world.ids.patients;
  const resource = /^\/api\/v1\/([a-z]+)/.exec(template)?.[1] ?? '';
  const pools: Record<string, string[]> = world.ids;
  return pools[resource] ?? [];
}

/** The parts of a valid request, before a mutation. */
interface Parts {
  op: ApiOperation;
  pathValues: string[];
  query: { name: string; value: string; raw?: boolean }[];
  body: unknown;
  trailingSlash: boolean;
  /** A field this resource lets some other operation write, with a value for it. */
  smuggled: [string, unknown] | undefined;
}

const ID_SHAPED_JUNK = [
  '------------------------------------',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  'ffffffffffffffffffffffffffffffffffff',
  '0190a000-0000-7000-8000-00000000000-',
  'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaaa',
];
const BAD_IDS = fc.oneof(
  fc.constantFrom(
    ...ID_SHAPED_JUNK,
    'not-a-uuid',
    '0190a000-0000-7000-8000-00000000000g',
    '1',
    '-1',
    '0',
    '..',
    '%2e%2e',
    '%00',
    '%ff',
    '%E0%A4%A',
    'null',
    'undefined',
    'a'.repeat(5_000),
  ),
  oddString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))),
);
const BAD_QUERY_VALUES = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1.5',
    '1e3',
    '999999999',
    '1000000000',
    '9999999999999999999999',
    'abc',
    '',
    ' 1',
    '0x10',
    '\u0661',
    'null',
    '[]',
    'true',
    '2147483648',
    '9007199254740993',
    'x'.repeat(5_000),
    // Sent as they are (not percent-encoded again): broken escapes, bad UTF-8, a surrogate.
    '%ff',
    '%ED%A0%80',
    '%C0%80',
    '%00',
    '%',
    '%zz',
  ),
  oddString,
  oddDateTime,
);
const CONTENT_TYPES = [
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'application/merge-patch+json',
  'application/json, text/plain',
  'application/jsonx',
  'json',
  '',
  '*/*',
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

type Mutation =
  | { kind: 'valid' }
  | { kind: 'drop-field'; index: number }
  | { kind: 'extra-field'; key: string; value: unknown }
  | { kind: 'smuggle' }
  | { kind: 'wrong-type'; index: number; value: unknown }
  | { kind: 'odd-string'; index: number; value: string; mode: 'replace' | 'append' }
  | { kind: 'long-string'; index: number; value: string }
  | { kind: 'deep'; index: number; value: string }
  | { kind: 'edge-number'; index: number; value: number }
  | { kind: 'odd-datetime'; index: number; value: string }
  | { kind: 'body-text'; text: string }
  | { kind: 'body-json'; value: unknown; deep: string | undefined }
  | { kind: 'huge-body'; value: string }
  | { kind: 'no-body' }
  | { kind: 'content-type'; value: string | undefined }
  | { kind: 'bad-id'; index: number; value: string }
  | { kind: 'bad-query'; index: number; value: string }
  | { kind: 'unknown-param'; name: string; value: string }
  | { kind: 'repeat-param'; index: number; value: string }
  | { kind: 'method'; value: string }
  | {
      kind: 'path-shape';
      value: 'double-slash' | 'dot-segment' | 'upper' | 'suffix' | 'encoded-slash';
    }
  | { kind: 'accept-gzip' }
  | { kind: 'cookie'; value: string }
  | { kind: 'long-url'; size: number };

const index = fc.nat({ max: 1_000 });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 30, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('drop-field' as const), index }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('extra-field' as const),
      key: fc.oneof(
        fc.constantFrom(
          'x',
          'id',
          'status',
          'created_by',
          'version',
          'origin_node',
          'deleted_at',
          'role',
          '__proto__',
          'constructor',
          'prototype',
          'toString',
          '',
        ),
        oddString,
      ),
      value: anyJson,
    }),
  },
  { weight: 6, arbitrary: fc.constant({ kind: 'smuggle' as const }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('wrong-type' as const),
      index,
      value: wrongTypeValue,
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('odd-string' as const),
      index,
      value: oddString,
      mode: fc.constantFrom('replace' as const, 'append' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('long-string' as const), index, value: longString }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('deep' as const), index, value: deepJsonText }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('edge-number' as const), index, value: edgeNumber }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('odd-datetime' as const), index, value: oddDateTime }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('body-text' as const), text: malformedJsonText }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('body-json' as const),
      value: fc.oneof(anyJson, fc.array(anyJson, { maxLength: 3 })),
      deep: fc.option(deepJsonText, { freq: 3, nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('huge-body' as const), value: hugeString }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'no-body' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('content-type' as const),
      value: fc.constantFrom(...CONTENT_TYPES),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('bad-id' as const), index, value: BAD_IDS }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('bad-query' as const),
      index,
      value: BAD_QUERY_VALUES,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unknown-param' as const),
      name: fc.constantFrom(
        'limit',
        'offset',
        'format',
        'fields',
        'page[size]',
        'ordering[]',
        '__proto__',
        'x',
      ),
      value: BAD_QUERY_VALUES,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('repeat-param' as const),
      index,
      value: BAD_QUERY_VALUES,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('method' as const),
      value: fc.constantFrom(...METHODS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('path-shape' as const),
      value: fc.constantFrom(
        'double-slash' as const,
        'dot-segment' as const,
        'upper' as const,
        'suffix' as const,
        'encoded-slash' as const,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'accept-gzip' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('cookie' as const),
      value: fc.constantFrom('clinic_access=x', 'a=b; clinic_access=', '=;=;', 'x'.repeat(8_000)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('long-url' as const),
      size: fc.constantFrom(8_000, 70_000),
    }),
  },
);

const BAD_TOKENS = [
  'Bearer',
  'Bearer ',
  'Bearer x',
  'Bearer a.b.c',
  `Bearer ${'a'.repeat(10_000)}`,
  'Basic YWRtaW46YWRtaW4=',
  'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.',
  'refresh-as-access',
  'tampered',
  'two-tokens',
];

const actorArb = fc.oneof(
  { weight: 45, arbitrary: fc.constant('admin' as const) },
  { weight: 25, arbitrary: fc.constant('provider' as const) },
  { weight: 10, arbitrary: fc.constant('patient' as const) },
  { weight: 10, arbitrary: fc.constant('anonymous' as const) },
  { weight: 10, arbitrary: fc.constant('bad-token' as const) },
  { weight: 4, arbitrary: fc.constant('session' as const) },
  { weight: 4, arbitrary: fc.constant('session-no-csrf' as const) },
);

/** Marks where raw JSON text goes (deep nesting that JSON.stringify cannot write). */
const RAW = '\u0000raw-json\u0000';

function serialize(body: unknown, raws: string[]): string {
  let text = JSON.stringify(body);
  raws.forEach((raw, i) => {
    text = text.replace(JSON.stringify(`${RAW}${i}`), () => raw);
  });
  return text;
}

/** The field a mutation aims at: prefer `pred`, else any; undefined if none. */
function fieldAt(names: string[], i: number, pred?: (n: string) => boolean): string | undefined {
  const preferred = pred ? names.filter(pred) : [];
  const from = preferred.length > 0 ? preferred : names;
  return from.length === 0 ? undefined : from[i % from.length];
}

function buildRequest(
  parts: Parts,
  m: Mutation,
  actor: Actor,
  badToken: string,
  hints: SchemaHints,
): FuzzRequest {
  const { op } = parts;
  let method = op.method;
  const pathValues = parts.pathValues.map((v) => encodeURIComponent(v));
  const query = parts.query.map((q) => ({ ...q }));
  let body: unknown = parts.body;
  let bodyText: string | undefined;
  const raws: string[] = [];
  const headers: Record<string, string> = {};
  let contentType: string | undefined = 'application/json';
  let pathShape: string | undefined;
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  const fields = isObject ? Object.keys(body as object) : [];
  const declared = objectFields(op.body, hints);
  const setField = (name: string | undefined, value: unknown) => {
    if (name === undefined || !isObject) return false;
    body = { ...(body as object), [name]: value };
    return true;
  };
  let label: string = m.kind;

  switch (m.kind) {
    case 'valid':
      break;
    case 'drop-field': {
      const name = fieldAt(fields, m.index, (n) => declared.required.includes(n));
      if (name !== undefined && isObject) {
        const copy = { ...(body as Record<string, unknown>) };
        delete copy[name];
        body = copy;
        label = `drop ${name}`;
      }
      break;
    }
    case 'extra-field':
      if (isObject) {
        // defineProperty: '__proto__' must become an own key, as JSON.parse makes it.
        const copy = { ...(body as Record<string, unknown>) };
        Object.defineProperty(copy, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        body = copy;
        label = `extra ${JSON.stringify(m.key)}`;
      }
      break;
    case 'smuggle':
      // A field another operation of this resource writes (e.g. `status` on a create).
      if (isObject && parts.smuggled) {
        body = { ...(body as object), [parts.smuggled[0]]: parts.smuggled[1] };
        label = `smuggled ${parts.smuggled[0]}`;
      }
      break;
    case 'wrong-type':
    case 'odd-string':
    case 'long-string':
    case 'edge-number':
    case 'odd-datetime':
    case 'deep': {
      const all = [...new Set([...fields, ...declared.names])];
      const name = fieldAt(
        all,
        m.index,
        m.kind === 'odd-datetime' ? (n) => /time/.test(n) : undefined,
      );
      let value: unknown = m.value;
      if (m.kind === 'odd-string' && m.mode === 'append' && name !== undefined) {
        const current = (body as Record<string, unknown> | undefined)?.[name];
        value = typeof current === 'string' ? `${current}${m.value}` : m.value;
      }
      if (m.kind === 'deep') {
        raws.push(m.value);
        value = `${RAW}${raws.length - 1}`;
      }
      if (setField(name, value)) label = `${m.kind} in ${name}`;
      else if (query.length > 0 && m.kind !== 'deep') {
        // No body: aim at a query parameter instead.
        const q = query[m.index % query.length] as { name: string; value: string };
        q.value = typeof m.value === 'string' ? m.value : JSON.stringify(m.value);
        label = `${m.kind} in ?${q.name}`;
      }
      break;
    }
    case 'body-text':
      bodyText = m.text;
      break;
    case 'body-json':
      if (m.deep !== undefined) {
        raws.push(m.deep);
        body = `${RAW}0`;
      } else body = m.value;
      break;
    case 'huge-body':
      if (isObject) setField(fieldAt(fields, 0) ?? 'x', m.value);
      else bodyText = JSON.stringify({ x: m.value });
      label = `huge body (${m.value.length} chars)`;
      break;
    case 'no-body':
      body = undefined;
      break;
    case 'content-type':
      contentType = m.value;
      label = `content-type ${JSON.stringify(m.value ?? null)}`;
      if (body === undefined) bodyText = '{}';
      break;
    case 'bad-id':
      if (pathValues.length > 0) {
        pathValues[m.index % pathValues.length] = m.value;
        label = `bad id`;
      } else {
        const q = query.find((x) =>
          /^(patient|provider|facility|appointment|registered_facility)$/.test(x.name),
        );
        if (q) Object.assign(q, { value: m.value, raw: true });
        else query.push({ name: 'id', value: m.value, raw: true });
        label = `bad id in query`;
      }
      break;
    case 'bad-query': {
      const names = op.query.map((q) => q.name);
      const name = fieldAt(names, m.index, (n) => n === 'page' || n === 'page_size') ?? 'page';
      const raw = m.value.startsWith('%');
      const existing = query.find((q) => q.name === name);
      if (existing) Object.assign(existing, { value: m.value, raw });
      else query.push({ name, value: m.value, raw });
      label = `bad ?${name}`;
      break;
    }
    case 'unknown-param':
      query.push({ name: m.name, value: m.value });
      break;
    case 'repeat-param': {
      const names = op.query.map((q) => q.name);
      const name = fieldAt(names, m.index) ?? 'page';
      query.push({ name, value: query.find((q) => q.name === name)?.value ?? '1' });
      query.push({ name, value: m.value });
      label = `repeated ?${name}`;
      break;
    }
    case 'method':
      method = m.value;
      label = `method ${m.value}`;
      break;
    case 'path-shape':
      pathShape = m.value;
      label = `path ${m.value}`;
      break;
    case 'accept-gzip':
      headers['Accept-Encoding'] = 'gzip';
      break;
    case 'cookie':
      headers.Cookie = m.value;
      break;
    case 'long-url':
      query.push({ name: 'search', value: 'q'.repeat(m.size) });
      label = `long url (${m.size})`;
      break;
  }

  let i = 0;
  let path = op.template.replace(/\{[^}]+\}/g, () => pathValues[i++] ?? '');
  if (parts.trailingSlash && !path.endsWith('/')) path += '/';
  if (pathShape === 'double-slash') path = path.replace('/api/', '//api/');
  if (pathShape === 'dot-segment') path = path.replace('/v1/', '/v1/./');
  if (pathShape === 'upper') path = path.toUpperCase();
  if (pathShape === 'suffix') path = `${path.replace(/\/$/, '')}/extra/`;
  if (pathShape === 'encoded-slash') path = path.replace(/^(\/.+)\/([^/]+)\/?$/, '$1%2F$2');
  const search = query
    .map(
      (q) =>
        `${encodeURIComponent(q.name)}=${q.raw ? q.value : encodeURIComponent(q.value.replace(/[\ud800-\udfff]/g, '\ufffd'))}`,
    )
    .join('&');
  const url = search ? `${path}?${search}` : path;

  const withBody = !['GET', 'HEAD'].includes(method);
  let text: string | undefined;
  if (withBody) {
    if (bodyText !== undefined) text = bodyText;
    else if (body !== undefined) text = serialize(body, raws);
  }
  if (text !== undefined && contentType !== undefined) headers['Content-Type'] = contentType;
  if (text !== undefined) headers['Content-Length'] = String(Buffer.byteLength(text));
  return {
    actor,
    badToken,
    method,
    route: `${op.method} ${op.template}`,
    url,
    headers,
    body: text,
    mutation: label,
  };
}

/** A short, printable form of a request (fast-check prints counterexamples with it). */
export function describeRequest(r: FuzzRequest): string {
  return `${r.method} ${shown(r.url, 200)} as ${r.actor}${r.actor === 'bad-token' ? ` (${r.badToken})` : ''} [${r.mutation}]${
    r.body !== undefined ? ` body ${shown(r.body, 300)}` : ''
  }${r.headers['Content-Type'] !== undefined ? ` content-type ${JSON.stringify(r.headers['Content-Type'])}` : ''}`;
}

/** Requests for every operation of `doc`, aimed at the ids of `world`. */
export function apiRequestArbitrary(
  doc: OpenApiDocument,
  world: FuzzWorld,
): fc.Arbitrary<FuzzRequest> {
  const hints = hintsFor(world, doc.components?.schemas ?? {});
  const operations = operationsOf(doc);
  // Every writable field of each resource, with the schema some operation gives it.
  const fieldSchemas = new Map<string, Map<string, JsonSchema>>();
  for (const op of operations) {
    const resource = /^\/api\/v1\/[a-z-]+/.exec(op.template)?.[0];
    let body = op.body;
    while (body && typeof body.$ref === 'string') body = hints.resolve(body.$ref);
    if (!resource || !body?.properties) continue;
    const fields = fieldSchemas.get(resource) ?? new Map<string, JsonSchema>();
    for (const [name, schema] of Object.entries(body.properties as Record<string, JsonSchema>)) {
      if (!fields.has(name)) fields.set(name, schema);
    }
    fieldSchemas.set(resource, fields);
  }
  const smuggledFor = (op: ApiOperation): fc.Arbitrary<[string, unknown] | undefined> => {
    const resource = /^\/api\/v1\/[a-z-]+/.exec(op.template)?.[0] ?? '';
    const own = new Set(objectFields(op.body, hints).names);
    const others = [...(fieldSchemas.get(resource) ?? new Map<string, JsonSchema>())].filter(
      ([name]) => !own.has(name),
    );
    if (!op.body || others.length === 0) return fc.constant(undefined);
    return fc.oneof(
      ...others.map(([name, schema]) =>
        valueFor(schema, hints, name).map((v): [string, unknown] => [name, v]),
      ),
    );
  };
  const partsArb = fc.constantFrom(...operations).chain((op) =>
    fc
      .record({
        smuggled: smuggledFor(op),
        pathValues: fc.tuple(...op.pathParams.map((p) => pick(poolFor(world, op.template, p)))),
        query: fc.tuple(
          ...op.query.map((q) =>
            fc.option(
              valueFor(q.schema, hints, q.name).map((v) =>
                typeof v === 'string' ? v : JSON.stringify(v),
              ),
              { freq: 3, nil: undefined },
            ),
          ),
        ),
        body: op.body ? valueFor(op.body, hints) : fc.constant(undefined),
        trailingSlash: fc.boolean(),
        duration: fc.constantFrom(5, 15, 30, 60, 720, 4, 721),
        coherent: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ pathValues, query, body, trailingSlash, duration, coherent, smuggled }): Parts => {
        // Most bookings end after they start (else nearly all would stop at validation).
        const b = body as Record<string, unknown> | undefined;
        if (
          b &&
          typeof b.start_time === 'string' &&
          typeof b.end_time === 'string' &&
          coherent > 0
        ) {
          const start = Date.parse(b.start_time);
          if (Number.isFinite(start))
            b.end_time = new Date(start + duration * MINUTE).toISOString();
        }
        return {
          op,
          pathValues: pathValues as string[],
          query: op.query.flatMap((q, i) =>
            query[i] === undefined ? [] : [{ name: q.name, value: query[i] as string }],
          ),
          body: b,
          trailingSlash,
          smuggled,
        };
      }),
  );
  return fc
    .tuple(partsArb, mutationArb, actorArb, fc.constantFrom(...BAD_TOKENS))
    .map(([parts, m, actor, badToken]) => {
      const request = buildRequest(parts, m, actor, badToken, hints);
      Object.defineProperty(request, fc.toStringMethod, { value: () => describeRequest(request) });
      return request;
    });
}

/** The credentials of a request's actor: a bearer token, or session cookies (and CSRF). */
export function credentialsFor(r: FuzzRequest, world: FuzzWorld): Record<string, string> {
  const { tokens, session } = world;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  switch (r.actor) {
    case 'admin':
      return bearer(tokens.admin);
    case 'provider':
      return bearer(tokens.provider);
    case 'patient':
      return bearer(tokens.patient);
    case 'anonymous':
      return {};
    case 'session':
      return { Cookie: session.cookie, 'X-CSRF-Token': session.csrf };
    case 'session-no-csrf':
      return { Cookie: session.cookie };
    case 'bad-token':
      if (r.badToken === 'refresh-as-access') return bearer(tokens.refresh);
      if (r.badToken === 'tampered') return bearer(`${tokens.admin.slice(0, -3)}AAA`);
      if (r.badToken === 'two-tokens')
        return { Authorization: `Bearer ${tokens.admin} ${tokens.admin}` };
      return { Authorization: r.badToken };
  }
}

/**
 * The fields a client may write, by resource (`/api/v1/appointments` ...): every property
 * of every request body the document gives for its operations.
 */
export function writableFields(doc: OpenApiDocument): Map<string, Set<string>> {
  const hints: SchemaHints = {
    resolve: (ref) => doc.components?.schemas?.[ref.replace('#/components/schemas/', '')] ?? {},
    forField: () => undefined,
  };
  const out = new Map<string, Set<string>>();
  for (const op of operationsOf(doc)) {
    const resource = /^\/api\/v1\/[a-z-]+/.exec(op.template)?.[0];
    if (!resource || !op.body) continue;
    const set = out.get(resource) ?? new Set<string>();
    for (const name of objectFields(op.body, hints).names) set.add(name);
    out.set(resource, set);
  }
  return out;
}
