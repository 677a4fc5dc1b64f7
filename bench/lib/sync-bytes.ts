/**
 * Bytes on the wire per synced appointment, push side: push request bodies built as the
 * node's engine builds them (sync/src/edge/engine.ts: `JSON.stringify({protocol_version,
 * node_id, backlog, mutations})`, mutations as outbox-hooks.ts makes them), from the
 * benchmark's mutation mix (bench/lib/sync-mutations.ts) over the dataset's directory
 * (UUIDv7 ids, HLCs of a UUIDv7 node id, as on a real node). No database, no server.
 *
 * Reported per appointment.put mutation: the plain JSON body divided by the mutations in
 * it, and the body compressed with node:zlib gzipSync (default level) divided likewise,
 * for realistic 200-mutation batches of the mix, and for a batch of new bookings only.
 * Also: where a new booking's bytes go (row, clocks, base, envelope).
 */
import { createUuidV7Generator } from '@clinic/domain';
import { MAX_PUSH_BATCH, PROTOCOL_VERSION } from '@clinic/sync';
import { gzipSync } from 'node:zlib';
import { buildDirectoryRows, type Shape } from './dataset';
import { MutationPlan, nodeScope, type AppointmentPut } from './sync-mutations';

export interface BatchBytes {
  mutations: number;
  plainBytes: number;
  gzipBytes: number;
  plainPerMutation: number;
  gzipPerMutation: number;
}

export interface PushBytesResult {
  /** The mix, batches 2..6 of a node's outbox (batch 1 is nearly all new bookings). */
  mix: BatchBytes & { batches: number };
  /** A batch of new bookings only. */
  bookings: BatchBytes;
  /** Mean JSON bytes of one mutation by what it does. */
  perIntent: Record<string, number>;
  /** A new booking's mutation, part by part (JSON bytes). */
  bookingParts: { row: number; clocks: number; base: number; envelope: number; total: number };
  gzipLevel: 'default (6)';
  /** The engine sends the push body uncompressed today (no content-encoding). */
  engineCompressesPush: false;
}

function body(nodeId: string, mutations: AppointmentPut[], backlog: number): string {
  return JSON.stringify({
    protocol_version: PROTOCOL_VERSION,
    node_id: nodeId,
    backlog,
    mutations,
  });
}

function measure(nodeId: string, batches: AppointmentPut[][]): BatchBytes {
  let plain = 0;
  let gzip = 0;
  let mutations = 0;
  for (const batch of batches) {
    const text = body(nodeId, batch, batch.length);
    plain += Buffer.byteLength(text);
    gzip += gzipSync(text).length;
    mutations += batch.length;
  }
  return {
    mutations,
    plainBytes: plain,
    gzipBytes: gzip,
    plainPerMutation: plain / mutations,
    gzipPerMutation: gzip / mutations,
  };
}

/**
 * A clinic's clock: one write every 10 s to 5 min (uniform, deterministic), so the
 * timestamps, HLCs and UUIDv7 ids of a batch differ as much as a real outbox's do
 * (mutations made within the same millisecond would compress better than real ones).
 */
function clinicClock(start: number): () => number {
  let t = start;
  let x = 12345;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    t += 10_000 + (x % 290_000);
    return t;
  };
}

export function benchPushBytes(
  shape: Shape,
  day0: number,
  nodeFacilities: number,
): PushBytesResult {
  const ids = createUuidV7Generator({ now: () => Date.now() });
  const dir = buildDirectoryRows(shape, ids, Date.now(), 'bench-seed', 'scrypt$unused');
  const scope = nodeScope(dir, shape, nodeFacilities);
  const nodeId = ids.next();
  const clock = clinicClock(Date.now() - 7 * 24 * 3_600_000);
  // The node's ids come from the same (simulated) clock as its HLCs.
  let last = 0;
  const nodeIds = createUuidV7Generator({ now: () => last });
  const now = () => (last = clock());
  const plan = new MutationPlan({ nodeId, scope, shape, day0, firstDay: 0, ids: nodeIds, now });
  const BATCHES = 5;
  plan.take(MAX_PUSH_BATCH);
  const mixed = plan.take(BATCHES * MAX_PUSH_BATCH);
  const batches = Array.from({ length: BATCHES }, (_, i) =>
    mixed.slice(i * MAX_PUSH_BATCH, (i + 1) * MAX_PUSH_BATCH),
  );

  const bookingsPlan = new MutationPlan({
    nodeId,
    scope,
    shape,
    day0,
    firstDay: 0,
    ids: nodeIds,
    now,
  });
  const bookings: AppointmentPut[] = [];
  while (bookings.length < MAX_PUSH_BATCH) {
    const m = bookingsPlan.next();
    if (m.args.created) bookings.push(m);
  }

  const sums: Record<string, { bytes: number; n: number }> = {};
  const intentOf = (m: AppointmentPut): string => {
    if (m.args.created) return 'new booking';
    if (m.args.changed.includes('status')) return 'cancel';
    if (m.args.changed.includes('slot')) return 'reschedule';
    return 'edit details';
  };
  for (const m of mixed) {
    const k = intentOf(m);
    const s = (sums[k] ??= { bytes: 0, n: 0 });
    s.bytes += Buffer.byteLength(JSON.stringify(m));
    s.n += 1;
  }
  const perIntent = Object.fromEntries(
    Object.entries(sums).map(([k, s]) => [k, Math.round(s.bytes / s.n)]),
  );

  const sample = bookings[0] as AppointmentPut;
  const len = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
  const total = len(sample);
  const row = len(sample.args.row);
  const clocks = len(sample.args.clocks);
  const base = len(sample.args.base);
  return {
    mix: { ...measure(nodeId, batches), batches: BATCHES },
    bookings: measure(nodeId, [bookings]),
    perIntent,
    bookingParts: { row, clocks, base, envelope: total - row - clocks - base, total },
    gzipLevel: 'default (6)',
    engineCompressesPush: false,
  };
}
