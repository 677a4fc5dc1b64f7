/**
 * Push cases for the push fuzzer: a batch of mutations (appointment.put, patient.put,
 * notifications.put) aimed at the node's own facility, at another facility's rows that
 * exist on central, and at unknown ids; with sequence numbers next, replayed, duplicated,
 * out of order, with gaps or not numbers at all; with hostile values put anywhere in a
 * mutation (NUL and control characters, odd Unicode, huge strings, edge numbers, wrong
 * types); in an envelope that is right or not (version, node id, token, backlog, gzip or
 * plain, gzip bombs, deep nesting, too many mutations).
 *
 * A case holds only choices; `buildPush` turns it into the request once central's
 * position for the node is known, so a seed always makes the same requests.
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { FUZZ_NOW } from './fuzz-runtime';
import type { PushWorld } from './fuzz-push-world';
import { edgeNumber, longString, oddString, wrongTypeValue } from './fuzz-strings';
import { shown } from './fuzz-recorder';

const MINUTE = 60_000;
const REGISTERS = ['slot', 'details', 'status', 'deleted'] as const;
const PATIENT_FIELDS = [
  'patient_id',
  'first_name',
  'last_name',
  'phone_number',
  'email',
  'registered_facility',
  'is_active',
];

type SeqSpec =
  { t: 'next'; k: number } | { t: 'replay'; back: number } | { t: 'raw'; value: unknown };
type Target = 'new-home' | 'existing-home' | 'foreign' | 'unknown' | 'new-foreign';

interface Damage {
  /** Index into the mutation's leaf paths of that kind (modulo their count). */
  at: number;
  /** Which leaves: stored free text (names, reason, address ...), times, any string, any number, any leaf. */
  aim: 'text' | 'time' | 'string' | 'number' | 'any';
  value: unknown;
}

export interface MutationSpec {
  seq: SeqSpec;
  kind: 'appointment.put' | 'patient.put' | 'notifications.put';
  target: Target;
  newId: string;
  flipCreated: boolean;
  pick: number[];
  hlc: 'good' | 'future' | 'zero' | 'junk' | 'long';
  damage: Damage[];
}

export type Transport =
  | 'gzip'
  | 'plain'
  | 'gzip-unlabelled'
  | 'label-only'
  | 'double-gzip'
  | 'truncated-gzip'
  | 'size-bomb'
  | 'depth-bomb'
  | 'plain-oversize';

export interface EnvelopeSpec {
  version: 1 | 2 | 3;
  urlVersion: 'same' | 0 | 4 | 'v1-for-v3';
  auth: 'own' | 'none' | 'garbage' | 'sibling' | 'revoked' | 'user';
  nodeId: 'own' | 'sibling' | 'junk' | 'missing';
  backlog: 'ok' | 'missing' | 'negative' | 'string' | 'huge';
  transport: Transport;
  acceptGzip: boolean;
  shape:
    | 'ok'
    | 'extra-field'
    | 'mutations-object'
    | 'too-many'
    | 'array-body'
    | 'null-body'
    | 'deep-item';
  contentType: 'json' | 'none' | 'text';
}

export interface PushCase {
  envelope: EnvelopeSpec;
  mutations: MutationSpec[];
  followUp: 'none' | 'replay' | 'shuffle';
}

/** Hostile text for a string leaf: NUL and control characters first of all. */
const hostileText: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\u0000\u0001\u001b[31m',
      '\ud800',
      'x\udfffy',
    ),
  },
  { weight: 5, arbitrary: oddString },
  { weight: 2, arbitrary: longString },
);

/** Hostile numbers for a number leaf: times beyond any calendar, JSON's extremes. */
const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      -1,
      0,
      -62_135_596_800_001, // before year 1
      253_402_300_800_000, // year 10000
      8.64e15,
      8.64e15 + 1,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ),
  },
  { weight: 2, arbitrary: edgeNumber },
);

const at = fc.nat({ max: 1_000 });
const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ at, aim: fc.constant('text' as const), value: hostileText }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ at, aim: fc.constant('time' as const), value: hostileNumber }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ at, aim: fc.constant('string' as const), value: hostileText }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ at, aim: fc.constant('number' as const), value: hostileNumber }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ at, aim: fc.constant('any' as const), value: wrongTypeValue }),
  },
);

/** Fields that hold free text, stored as the node wrote them. */
const TEXT_FIELDS = new Set([
  'reason',
  'patient_id',
  'first_name',
  'last_name',
  'phone_number',
  'email',
  'address',
  'dedupe_key',
  'last_error',
]);
const TIME_FIELD = /(_at|_time|^reminder_for)$/;

function aimed(aim: Damage['aim'], path: (string | number)[], value: unknown): boolean {
  const key = String(path[path.length - 1]);
  switch (aim) {
    case 'text':
      return TEXT_FIELDS.has(key);
    case 'time':
      return TIME_FIELD.test(key);
    case 'string':
    case 'number':
      return typeof value === aim;
    case 'any':
      return true;
  }
}

const oddSeq: fc.Arbitrary<SeqSpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('next' as const), k: fc.constantFrom(-1, 1, 2, 3) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('replay' as const),
      back: fc.integer({ min: 0, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('raw' as const),
      value: fc.constantFrom(0, -1, 1.5, '1', null, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308),
    }),
  },
);

/**
 * Most mutations are what a node would send; one in two has one flaw: a hostile value in
 * one leaf, an odd seq, an odd clock, or `created` the wrong way round. (Piling flaws on
 * every mutation would stop nearly all of them at validation, far from the store.)
 */
const flaw = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constant({
      seq: undefined,
      hlc: undefined,
      flipCreated: false,
      damage: [] as Damage[],
    }),
  },
  {
    weight: 8,
    arbitrary: damageArb.map((d) => ({
      seq: undefined,
      hlc: undefined,
      flipCreated: false,
      damage: [d],
    })),
  },
  {
    weight: 2,
    arbitrary: oddSeq.map((q) => ({
      seq: q,
      hlc: undefined,
      flipCreated: false,
      damage: [] as Damage[],
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('future' as const, 'zero' as const, 'junk' as const, 'long' as const)
      .map((h) => ({ seq: undefined, hlc: h, flipCreated: false, damage: [] as Damage[] })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      seq: undefined,
      hlc: undefined,
      flipCreated: true,
      damage: [] as Damage[],
    }),
  },
);

const mutationSpec: fc.Arbitrary<MutationSpec> = fc
  .record({
    kind: fc.constantFrom(
      'appointment.put' as const,
      'appointment.put' as const,
      'patient.put' as const,
      'notifications.put' as const,
    ),
    target: fc.constantFrom(
      'new-home' as const,
      'new-home' as const,
      'existing-home' as const,
      'foreign' as const,
      'unknown' as const,
      'new-foreign' as const,
    ),
    newId: fc.uuid({ version: 7 }),
    pick: fc.array(fc.nat({ max: 1_000 }), { minLength: 24, maxLength: 24 }),
    flaw,
  })
  .map(({ flaw: f, ...m }) => ({
    ...m,
    seq: f.seq ?? { t: 'next' as const, k: 0 },
    hlc: f.hlc ?? ('good' as const),
    flipCreated: f.flipCreated,
    damage: f.damage,
  }));

const GOOD_ENVELOPE: EnvelopeSpec = {
  version: 3,
  urlVersion: 'same',
  auth: 'own',
  nodeId: 'own',
  backlog: 'ok',
  transport: 'gzip',
  acceptGzip: false,
  shape: 'ok',
  contentType: 'json',
};

/** One thing wrong with the envelope (or nothing, most of the time). */
const envelopeFlaw: fc.Arbitrary<Partial<EnvelopeSpec>> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(0 as const, 4 as const, 'v1-for-v3' as const)
      .map((urlVersion) => ({ urlVersion })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        'none' as const,
        'garbage' as const,
        'sibling' as const,
        'revoked' as const,
        'user' as const,
      )
      .map((auth) => ({ auth })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('sibling' as const, 'junk' as const, 'missing' as const)
      .map((nodeId) => ({ nodeId })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('missing' as const, 'negative' as const, 'string' as const, 'huge' as const)
      .map((backlog) => ({ backlog })),
  },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(
        'gzip-unlabelled' as const,
        'label-only' as const,
        'double-gzip' as const,
        'truncated-gzip' as const,
        'size-bomb' as const,
        'depth-bomb' as const,
        'plain-oversize' as const,
      )
      .map((transport) => ({ transport })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        'extra-field' as const,
        'mutations-object' as const,
        'too-many' as const,
        'array-body' as const,
        'null-body' as const,
        'deep-item' as const,
      )
      .map((shape) => ({ shape })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('none' as const, 'text' as const)
      .map((contentType) => ({ contentType })),
  },
);

const envelopeSpec: fc.Arbitrary<EnvelopeSpec> = fc
  .record({
    version: fc.constantFrom(3 as const, 3 as const, 3 as const, 2 as const, 1 as const),
    plain: fc.boolean(),
    acceptGzip: fc.boolean(),
    flaw: envelopeFlaw,
  })
  .map(({ version, plain, acceptGzip, flaw: f }) => ({
    ...GOOD_ENVELOPE,
    version,
    acceptGzip,
    transport: plain ? ('plain' as const) : ('gzip' as const),
    ...f,
  }));

export const pushCaseArbitrary: fc.Arbitrary<PushCase> = fc
  .record({
    envelope: envelopeSpec,
    mutations: fc.array(mutationSpec, { minLength: 1, maxLength: 5 }),
    followUp: fc.constantFrom(
      'none' as const,
      'none' as const,
      'replay' as const,
      'shuffle' as const,
    ),
  })
  .map((c) => {
    Object.defineProperty(c, fc.toStringMethod, { value: () => describeCase(c) });
    return c;
  });

export function describeCase(c: PushCase): string {
  const e = c.envelope;
  const env = Object.entries(e)
    .filter(
      ([k, v]) =>
        !(v === 'own' || v === 'ok' || v === 'same' || v === 'json' || k === 'acceptGzip'),
    )
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const ms = c.mutations.map((m) => {
    const seq =
      m.seq.t === 'next'
        ? `next${m.seq.k ? `+${m.seq.k}` : ''}`
        : m.seq.t === 'replay'
          ? `replay-${m.seq.back}`
          : `seq=${JSON.stringify(m.seq.value)}`;
    const damage = m.damage
      .map((d) => `${d.aim}@${d.at}=${shown(JSON.stringify(d.value) ?? 'undefined', 40)}`)
      .join(',');
    return `${m.kind}(${m.target}, ${seq}${m.hlc !== 'good' ? `, hlc ${m.hlc}` : ''}${m.flipCreated ? ', created flipped' : ''}${damage ? `, ${damage}` : ''})`;
  });
  return `push v${e.version}${env ? ` [${env}]` : ''} ${ms.join(' ')}${c.followUp !== 'none' ? ` then ${c.followUp}` : ''}`;
}

/** One request of a case, ready to send. */
export interface BuiltPush {
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** The JSON text of the body (inflated), for the oracles' echo checks; truncated. */
  text: string;
  /** The payload as built (undefined for bombs and non-JSON). */
  payload: unknown;
  /** Whether a node that follows the protocol could send this (then it must not be refused whole). */
  wellFormed: boolean;
  /** The sequence numbers of its mutations, when well-formed. */
  seqs: number[];
  /** Entity ids of its mutations (for the read-back check). */
  entities: { kind: string; id: string }[];
  /** Ids and owners of the notification rows it carries. */
  notificationRows: { id: string; owner: string }[];
}

const from = <T>(list: readonly T[], n: number): T => list[n % list.length] as T;

function hlcOf(spec: MutationSpec['hlc'], nodeId: string, ms: number): string {
  switch (spec) {
    case 'good':
      return `${String(ms).padStart(13, '0')}-0000-${nodeId}`;
    case 'future':
      return `9999999999999-9999-${nodeId}`;
    case 'zero':
      return `0000000000000-0000-${nodeId}`;
    case 'junk':
      return 'not-a-clock';
    case 'long':
      return `${String(ms)}-0000-${'n'.repeat(180)}`;
  }
}

/** Every path to a leaf (string, number, boolean, null) of a JSON value. */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let at: unknown = root;
  for (const key of path) at = (at as Record<string | number, unknown>)[key];
  return at;
}

function setPath(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let at: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) at[last] = value;
}

interface Built {
  mutation: Record<string, unknown>;
  entity: { kind: string; id: string };
  rows: { id: string; owner: string }[];
}

function buildMutation(world: PushWorld, m: MutationSpec, seq: unknown, batchIds: string[]): Built {
  const { home, foreign, fuzzed, sibling } = world;
  const p = (i: number) => m.pick[i] ?? 0;
  const now = FUZZ_NOW + p(0) * MINUTE;
  const hlc = hlcOf(m.hlc, fuzzed.id, now);
  const isNew = m.target === 'new-home' || m.target === 'new-foreign';

  if (m.kind === 'appointment.put') {
    const id =
      m.target === 'existing-home'
        ? from(home.appointments, p(1))
        : m.target === 'foreign'
          ? foreign.appointment
          : m.newId;
    const facility =
      m.target === 'new-foreign' || (m.target === 'foreign' && p(2) % 3 === 0)
        ? foreign.facility
        : m.target === 'existing-home' && p(2) % 7 === 0
          ? foreign.facility
          : home.facility;
    const start = FUZZ_NOW + (p(3) % 2_000) * 15 * MINUTE;
    const changed = REGISTERS.filter((_r, i) => (p(4) >> i) & 1);
    const regs = isNew || changed.length === 0 ? [...REGISTERS] : changed;
    const row = {
      id,
      patient:
        p(5) % 5 === 0
          ? from([foreign.patient, m.newId], p(13))
          : from(home.patients.slice(0, 2), p(5)),
      provider:
        p(6) % 5 === 0 ? from([foreign.provider, m.newId], p(14)) : from(home.providers, p(6)),
      facility,
      appointment_type: from(['consultation', 'follow_up', 'home_visit', 'x'], p(7)),
      reason: from(['', 'cough', 'follow-up of the cough'], p(8)),
      status: from(
        ['scheduled', 'scheduled', 'scheduled', 'completed', 'cancelled', 'no_show'],
        p(9),
      ),
      start_time: start,
      end_time: start + from([30, 60, 30, 60, 5, 720, 4, 721, -30], p(10)) * MINUTE,
      created_by: from([null, world.adminUserId, m.newId], p(11)),
      deleted_at: p(12) % 6 === 0 ? now : null,
      created_at: now,
      updated_at: now,
    };
    const clocks = Object.fromEntries(regs.map((r) => [r, hlc]));
    return {
      mutation: {
        seq,
        kind: m.kind,
        entity_id: id,
        hlc,
        args: {
          row,
          changed: regs,
          base: isNew
            ? {}
            : Object.fromEntries(
                regs.map((r) => [r, `${String(FUZZ_NOW).padStart(13, '0')}-0000-${fuzzed.id}`]),
              ),
          clocks,
          created: isNew !== m.flipCreated,
        },
      },
      entity: { kind: 'appointments', id },
      rows: [],
    };
  }

  if (m.kind === 'patient.put') {
    const id =
      m.target === 'existing-home'
        ? from(home.patients.slice(0, 2), p(1))
        : m.target === 'foreign'
          ? foreign.patient
          : m.newId;
    const registered =
      m.target === 'new-foreign'
        ? foreign.facility
        : from([home.facility, home.facility, null, foreign.facility], p(2));
    const changed = PATIENT_FIELDS.filter((_f, i) => (p(3) >> i) & 1);
    const odd = from(
      [undefined, '__proto__', 'constructor', 'clocks', 'version', 'origin_node', 'id', 'toString'],
      p(4),
    );
    const fields = [
      ...(isNew || changed.length === 0 ? PATIENT_FIELDS : changed),
      ...(odd ? [odd] : []),
    ];
    const row = {
      id,
      patient_id: p(5) % 9 === 0 ? from(home.mrns, p(6)) : `MRN-N-${m.newId.slice(-12)}`,
      first_name: 'Fz',
      last_name: `Pushed${m.newId.slice(-6)}`,
      phone_number: from(['', '+254 711 000 111'], p(7)),
      email: from(['', 'pushed@clinic.example'], p(8)),
      registered_facility: registered,
      is_active: p(9) % 5 !== 0,
      created_at: now,
      updated_at: now,
    };
    return {
      mutation: {
        seq,
        kind: m.kind,
        entity_id: id,
        hlc,
        args: {
          row,
          changed: fields,
          clocks: Object.fromEntries(fields.map((f) => [f, hlc])),
          created: isNew !== m.flipCreated,
        },
      },
      entity: { kind: 'patients', id },
      rows: [],
    };
  }

  const count = p(1) % 4;
  const rows = Array.from({ length: count }, (_x, i) => {
    const q = (j: number) => m.pick[(i * 7 + j) % m.pick.length] ?? 0;
    const owner = from([fuzzed.id, 'central', 'central', sibling.id, 'someone-else'], q(2));
    const channel = from(['email', 'sms'], q(3));
    return {
      id:
        q(4) % 5 === 0 && foreign.notifications.length > 0
          ? from(foreign.notifications, q(5))
          : `${m.newId.slice(0, -2)}${String(i).padStart(2, '0')}`,
      appointment_id: from([...home.appointments, foreign.appointment, m.newId, ...batchIds], q(6)),
      event: from(['created', 'updated', 'cancelled', 'reminder'], q(7)),
      recipient: from(['patient', 'provider', 'admin'], q(8)),
      channel,
      address: channel === 'email' ? 'evil@attacker.example' : '+15550001234',
      dedupe_key: q(9) % 4 === 0 ? 'fuzz-dup-key' : `fuzz-${m.newId}-${i}`,
      status: from(['pending', 'pending', 'sent', 'failed', 'dropped', 'sending'], q(10)),
      attempts: q(11) % 4,
      created_at: now,
      sent_at: null,
      owner,
      next_attempt_at: now,
      last_error: null,
      conflict_id: null,
      reminder_for: null,
      updated_at: now + q(12),
    };
  });
  return {
    mutation: {
      seq,
      kind: m.kind,
      entity_id: m.newId,
      hlc: `${String(now).padStart(13, '0')}-0000-central`,
      args: { rows },
    },
    entity: { kind: 'notifications', id: m.newId },
    rows: rows.map((r) => ({ id: r.id, owner: r.owner })),
  };
}

/** Deepest nesting of a JSON value (arrays and objects), without recursion. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v !== null && typeof v === 'object') {
      max = Math.max(max, d + 1);
      for (const inner of Object.values(v)) stack.push([inner, d + 1]);
    }
  }
  return max;
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * Whether a node following the protocol could have sent `payload` to `/sync/v{version}`:
 * the envelope (version, the node's own id, backlog, at most 200 items, each with a
 * positive integer seq), plain JSON nesting. The content of a mutation does not count: a
 * mutation central cannot apply must be answered `rejected`, not refuse the batch.
 */
export function isWellFormedEnvelope(payload: unknown, version: number, nodeId: string): boolean {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return false;
  const p = payload as Record<string, unknown>;
  if (p.protocol_version !== version || p.node_id !== nodeId) return false;
  if (version >= 2 && !(Number.isSafeInteger(p.backlog) && (p.backlog as number) >= 0))
    return false;
  if (!Array.isArray(p.mutations) || p.mutations.length > 200) return false;
  if (jsonDepth(payload) > 8) return false;
  return p.mutations.every((m) => {
    const seq = (m as { seq?: unknown } | null)?.seq;
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 && seq <= MAX_SEQ;
  });
}

let bombs: { size: Buffer; depth: Buffer } | undefined;

/** A small gzip that inflates past 16 MB, and one of 4 MB of nested brackets (made once). */
function gzipBombs() {
  bombs ??= {
    size: gzipSync(
      Buffer.concat([
        Buffer.from('{"protocol_version":3,"pad":"'),
        Buffer.alloc(17 * 2 ** 20, 0x61),
        Buffer.from('"}'),
      ]),
      { level: 9 },
    ),
    depth: gzipSync(
      `{"protocol_version":3,"mutations":[${'['.repeat(4 * 2 ** 20)}${']'.repeat(4 * 2 ** 20)}]}`,
      { level: 9 },
    ),
  };
  return bombs;
}

/** Builds the request of a case, given central's position for the node. */
export function buildPush(world: PushWorld, c: PushCase, lastSeq: number): BuiltPush {
  const e = c.envelope;
  const { fuzzed } = world;
  const batchIds = c.mutations
    .filter((m) => m.kind === 'appointment.put' && m.target === 'new-home')
    .map((m) => m.newId);
  let next = lastSeq;
  const built = c.mutations.map((m) => {
    let seq: unknown;
    if (m.seq.t === 'next') {
      next += 1;
      seq = Math.max(1, next + m.seq.k);
    } else if (m.seq.t === 'replay') seq = Math.max(1, lastSeq - m.seq.back);
    else seq = m.seq.value;
    const b = buildMutation(world, m, seq, batchIds);
    const leaves = leafPaths(b.mutation).filter((path) => path[0] !== 'seq');
    for (const d of m.damage) {
      const chosen = leaves.filter((path) => aimed(d.aim, path, valueAt(b.mutation, path)));
      const paths = chosen.length > 0 ? chosen : leaves;
      const path = paths[d.at % paths.length];
      if (path) setPath(b.mutation, path, d.value);
    }
    return b;
  });
  let mutations: unknown = built.map((b) => b.mutation);
  if (e.shape === 'too-many') {
    const first = built[0]?.mutation ?? {};
    mutations = Array.from({ length: 201 }, (_x, i) => ({ ...first, seq: lastSeq + 1 + i }));
  }
  if (e.shape === 'mutations-object') mutations = { 0: built[0]?.mutation };
  if (e.shape === 'deep-item') {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i += 1) deep = [deep];
    mutations = [...(mutations as unknown[]), { seq: next + 1, kind: 'patient.put', args: deep }];
  }
  const nodeId = {
    own: fuzzed.id,
    sibling: world.sibling.id,
    junk: 'not-a-node',
    missing: undefined,
  }[e.nodeId];
  const backlog = { ok: 3, missing: undefined, negative: -1, string: '3', huge: 2 ** 53 }[
    e.backlog
  ];
  let payload: unknown = {
    protocol_version: e.version,
    node_id: nodeId,
    ...(e.version >= 2 && { backlog }),
    mutations,
    ...(e.shape === 'extra-field' && { extra: { nested: true } }),
  };
  if (e.shape === 'array-body') payload = [payload];
  if (e.shape === 'null-body') payload = null;

  const urlVersion =
    e.urlVersion === 'same'
      ? e.version
      : e.urlVersion === 'v1-for-v3'
        ? e.version === 3
          ? 1
          : 3
        : e.urlVersion;
  const token = {
    own: fuzzed.token,
    none: undefined,
    garbage: 'clinic-node.not-a-token',
    sibling: world.sibling.token,
    revoked: world.revokedToken,
    user: world.admin,
  }[e.auth];
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (e.contentType === 'json') headers['Content-Type'] = 'application/json';
  if (e.contentType === 'text') headers['Content-Type'] = 'text/plain';
  if (e.acceptGzip) headers['Accept-Encoding'] = 'gzip';

  let text = JSON.stringify(payload) ?? 'undefined';
  let body: string | Uint8Array = text;
  switch (e.transport) {
    case 'gzip':
      body = gzipSync(text);
      headers['Content-Encoding'] = 'gzip';
      break;
    case 'plain':
      break;
    case 'gzip-unlabelled':
      body = gzipSync(text);
      break;
    case 'label-only':
      headers['Content-Encoding'] = 'gzip';
      break;
    case 'double-gzip':
      body = gzipSync(gzipSync(text));
      headers['Content-Encoding'] = 'gzip';
      break;
    case 'truncated-gzip': {
      const full = gzipSync(text);
      body = full.subarray(0, Math.max(10, full.length - 9));
      headers['Content-Encoding'] = 'gzip';
      break;
    }
    case 'size-bomb':
      body = gzipBombs().size;
      headers['Content-Encoding'] = 'gzip';
      text = '(gzip bomb: 17 MB of "a" inside a JSON string)';
      payload = undefined;
      break;
    case 'depth-bomb':
      body = gzipBombs().depth;
      headers['Content-Encoding'] = 'gzip';
      text = '(gzip bomb: 8 MB of nested brackets)';
      payload = undefined;
      break;
    case 'plain-oversize':
      body = `${text.slice(0, -1)},"pad":"${'p'.repeat(9 * 2 ** 20)}"}`;
      text = `${text.slice(0, 300)}… + 9 MB of padding`;
      payload = undefined;
      break;
  }
  if (typeof body === 'string') headers['Content-Length'] = String(Buffer.byteLength(body));
  const transportOk = e.transport === 'gzip' || e.transport === 'plain';
  const wellFormed =
    transportOk &&
    e.auth === 'own' &&
    e.contentType === 'json' &&
    urlVersion === e.version &&
    isWellFormedEnvelope(payload, e.version, fuzzed.id);
  return {
    url: `/sync/v${urlVersion}/push`,
    headers,
    body,
    text: text.length > 20_000 ? `${text.slice(0, 20_000)}…` : text,
    payload,
    wellFormed,
    seqs: wellFormed
      ? (payload as { mutations: { seq: number }[] }).mutations.map((m) => m.seq)
      : [],
    entities: built.map((b) => b.entity),
    notificationRows: built.flatMap((b) => b.rows),
  };
}

/** The mutation a healthy node sends next: a new patient of its facility, at `seq`. */
export function probeMutation(world: PushWorld, seq: number, id: string): Record<string, unknown> {
  const hlc = `${String(FUZZ_NOW).padStart(13, '0')}-0000-${world.fuzzed.id}`;
  return {
    seq,
    kind: 'patient.put',
    entity_id: id,
    hlc,
    args: {
      row: {
        id,
        patient_id: `MRN-PROBE-${id.slice(-12)}`,
        first_name: 'Probe',
        last_name: 'Patient',
        phone_number: '',
        email: '',
        registered_facility: world.home.facility,
        is_active: true,
        created_at: FUZZ_NOW,
        updated_at: FUZZ_NOW,
      },
      changed: PATIENT_FIELDS,
      clocks: Object.fromEntries(PATIENT_FIELDS.map((f) => [f, hlc])),
      created: true,
    },
  };
}
