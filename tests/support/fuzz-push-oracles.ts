/**
 * The properties of central's push endpoint under fuzzing (sync/SPEC.md section 2):
 * - never a 5xx, never slow;
 * - a well-formed batch is never refused as a whole: central's `last_applied_seq` moves
 *   past every seq of it that follows on without a gap, each answered applied or
 *   rejected; the rest deferred;
 * - no row of another facility's appointment or patient in an answer, and none of the
 *   names, phones, emails, MRN or reason of the foreign fixtures anywhere in it;
 * - no internals (driver, SQL, JavaScript errors) in an answer;
 * - a refusal is JSON `{"detail": string, ...}`.
 */
import type { Json } from './fuzz-fixtures';
import { internalsIn, piiIn, SLOW_MS } from './fuzz-oracles';
import type { BuiltPush } from './fuzz-push-cases';
import type { PushWorld } from './fuzz-push-world';
import type { Exchange, Violation } from './fuzz-recorder';

/** Central's position after a batch: every seq that follows on from `last`, without a gap. */
export function expectedLastSeq(last: number, seqs: readonly number[]): number {
  const sent = new Set(seqs);
  let at = last;
  while (sent.has(at + 1)) at += 1;
  return at;
}

function parse(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Rows of other facilities in a push answer (by their facility columns). */
function foreignRows(body: Json, facilities: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of (body?.results ?? []) as Json[]) {
    const row = r?.row;
    if (!row || typeof row !== 'object') continue;
    if ('patient_id' in row) {
      if (!facilities.includes(row.registered_facility)) {
        out.push(
          `seq ${r.seq} (${r.outcome} ${r.code ?? ''}) carries patient ${row.id} registered at ${row.registered_facility}`,
        );
      }
    } else if ('facility' in row && !facilities.includes(row.facility)) {
      out.push(
        `seq ${r.seq} (${r.outcome} ${r.code ?? ''}) carries appointment ${row.id} at ${row.facility}`,
      );
    }
  }
  return out;
}

/** Violations of one push answer; `last` is central's position for the node before it. */
export function pushViolations(
  e: Exchange,
  push: BuiltPush,
  last: number,
  world: PushWorld,
): Violation[] {
  const out: Violation[] = [];
  const v = (property: string, message: string) => out.push({ property, message, exchange: e });
  const requestText = `${e.url}\n${push.text}`;
  const body = parse(e.responseText);

  if (e.status >= 500) v('5xx', `answered ${e.status}`);
  if (e.ms > SLOW_MS) v('slow', `took ${e.ms} ms (limit ${SLOW_MS} ms)`);
  const internals = internalsIn(e.responseText, requestText, { valueMarkers: false });
  if (internals.length > 0) v('internals', `answer shows ${internals.join(', ')}`);
  const secrets = piiIn(e.responseText, world.foreign.secrets, requestText);
  if (secrets.length > 0) v('scope-leak', `answer holds another facility's ${secrets.join(', ')}`);

  if (e.status >= 400 && e.status < 500 && typeof body?.detail !== 'string') {
    v('error-shape', 'a refusal without {"detail": string}');
  }
  if (push.wellFormed && e.status !== 200 && e.status < 500) {
    v(
      'batch-refused',
      `a well-formed batch was refused as a whole (${e.status}): the node would resend it for ever`,
    );
  }
  if (e.status === 200 && push.wellFormed) {
    const expected = expectedLastSeq(last, push.seqs);
    const results = (body?.results ?? []) as Json[];
    if (results.length !== push.seqs.length) {
      v('answers', `${push.seqs.length} mutation(s) sent, ${results.length} result(s) answered`);
    }
    if (body?.last_applied_seq !== expected) {
      v(
        'blocked-outbox',
        `last_applied_seq is ${String(body?.last_applied_seq)} after seqs ${push.seqs.join(',')} from ${last}: expected ${expected}`,
      );
    }
    for (const r of results) {
      const answered = ['applied', 'applied_with_conflict', 'rejected'].includes(r?.outcome);
      if (r?.seq > last && r?.seq <= expected && !answered) {
        v('blocked-outbox', `seq ${r.seq} answered ${String(r?.outcome)} although it follows on`);
      }
      if (r?.seq > expected && answered)
        v('answers', `seq ${r.seq} after a gap answered ${r.outcome}`);
    }
  }
  if (e.status === 200) {
    for (const leak of foreignRows(body, world.fuzzed.facilities)) v('scope-leak', leak);
  }
  return out;
}

/** Answers of the same seqs in two answers that differ (a replay must get the stored answer). */
export function replayDifferences(first: Json, again: Json, upTo: number): string[] {
  const key = (r: Json) => `${r.outcome}|${r.code ?? ''}`;
  const before = new Map<number, string>();
  for (const r of (first?.results ?? []) as Json[]) if (r.seq <= upTo) before.set(r.seq, key(r));
  const out: string[] = [];
  for (const r of (again?.results ?? []) as Json[]) {
    const was = before.get(r.seq);
    if (was !== undefined && was !== key(r))
      out.push(`seq ${r.seq}: first ${was}, replayed ${key(r)}`);
  }
  return out;
}
