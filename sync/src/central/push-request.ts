/**
 * Reads a push request in two steps: the envelope (protocol version, node id, backlog, a
 * list of at most MAX_PUSH_BATCH items), then each mutation on its own. A mutation that
 * does not match its version's schema, or carries text no field may hold (NUL, control
 * characters, lone surrogates: domain/text-rules.ts) or a time outside the stored range
 * (domain/time.ts), becomes an `InvalidMutation` that
 * the reconciler answers `rejected` like any other refusal; one bad row of a node never
 * makes its whole batch fail, so it can never block the node's outbox (sync/SPEC.md 2).
 * Only an envelope that cannot be read, or an item without a usable `seq` (nothing to
 * answer it by), refuses the whole request.
 */
import { findTextProblem, isWithinTimeRange, TIME_RANGE_MESSAGE } from '@clinic/domain';
import { z } from 'zod';
import {
  MAX_PUSH_BATCH,
  PREVIOUS_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  mutation as mutationV1,
  mutationV3,
  type Mutation,
} from '../protocol';

/** A mutation central cannot apply as sent: answered `rejected {code: "invalid"}`. */
export interface InvalidMutation {
  seq: number;
  kind: 'invalid';
  problem: string;
}

export type PushItem = Mutation | InvalidMutation;

export interface ParsedPush {
  node_id: string;
  /** Mutations the node still has to push, this batch included (versions 2 and later). */
  backlog: number | undefined;
  items: PushItem[];
}

export type PushParseResult =
  { ok: true; push: ParsedPush } | { ok: false; errors: { path: string; message: string }[] };

const seqOnly = z.object({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

function envelopeFor(version: number) {
  return z.object({
    protocol_version: z.literal(version),
    node_id: z.string().max(100),
    ...(version >= PREVIOUS_PROTOCOL_VERSION && { backlog: z.number().int().min(0) }),
    mutations: z.array(z.unknown()).max(MAX_PUSH_BATCH),
  });
}

// The wire's epoch-ms fields: `start_time`, `created_at`, `reminder_for`, ...
const TIME_FIELD = /(_at|_time|^reminder_for)$/;

/** The first time field in `value` outside the stored range (domain/time.ts), with its path. */
function findTimeProblem(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (typeof inner === 'number' && TIME_FIELD.test(key) && !isWithinTimeRange(inner)) {
      return `${at}: ${TIME_RANGE_MESSAGE}`;
    }
    const found = findTimeProblem(inner, at);
    if (found) return found;
  }
  return undefined;
}

/** Why central will not apply a mutation that matches its schema, or undefined. */
function contentProblem(m: Mutation): string | undefined {
  const text = findTextProblem(m.args, 'args');
  return text ? `${text.path}: ${text.message}` : findTimeProblem(m.args, 'args');
}

const issuesOf = (error: z.ZodError) =>
  error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));

/** Where a mutation went wrong, without echoing any of its values. */
function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'mutation'}: ${i.message}`)
    .join('; ');
}

/** Parses a push body of protocol `version` (already JSON-decoded). */
export function parsePushRequest(version: number, raw: unknown): PushParseResult {
  const envelope = envelopeFor(version).safeParse(raw);
  if (!envelope.success) return { ok: false, errors: issuesOf(envelope.error) };
  // Versions 1 and 2 know appointment.put and patient.put; 3 adds notifications.put.
  const schema = version === PROTOCOL_VERSION ? mutationV3 : mutationV1;
  const items: PushItem[] = [];
  for (const [index, item] of envelope.data.mutations.entries()) {
    const parsed = schema.safeParse(item);
    if (parsed.success) {
      const m = parsed.data as Mutation;
      const problem = contentProblem(m);
      items.push(problem ? { seq: m.seq, kind: 'invalid', problem } : m);
      continue;
    }
    const seq = seqOnly.safeParse(item);
    if (!seq.success) {
      return {
        ok: false,
        errors: [{ path: `mutations.${index}.seq`, message: 'Every mutation needs its seq.' }],
      };
    }
    items.push({ seq: seq.data.seq, kind: 'invalid', problem: describe(parsed.error) });
  }
  return {
    ok: true,
    push: {
      node_id: envelope.data.node_id,
      backlog: 'backlog' in envelope.data ? (envelope.data.backlog as number) : undefined,
      items,
    },
  };
}
