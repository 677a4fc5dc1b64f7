/**
 * Push fuzzer: batches for central's real push endpoint (`POST /sync/v{1,2,3}/push`, gzip
 * and plain) with a real enrolled node token, on PGlite and on a PostgreSQL server; cases
 * in tests/support/fuzz-push-cases.ts, properties in tests/support/fuzz-push-oracles.ts.
 * After each batch: a replay or reordered resend (same answers), the node's next
 * well-formed mutation (never blocked), and central's reads of what was pushed (never a
 * 5xx). At the end, every list and every shape of the node (never a 5xx).
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { apiCall, type Json } from '../support/fuzz-fixtures';
import {
  buildPush,
  describeCase,
  probeMutation,
  type BuiltPush,
  type PushCase,
} from '../support/fuzz-push-cases';
import { pushCaseArbitrary } from '../support/fuzz-push-cases';
import { expectedLastSeq, pushViolations, replayDifferences } from '../support/fuzz-push-oracles';
import {
  lastAppliedSeq,
  makePushWorld,
  pushAsNode,
  type PushWorld,
} from '../support/fuzz-push-world';
import { FuzzRecorder, type Exchange, type Violation } from '../support/fuzz-recorder';
import { fcParameters, fuzzSettings, suiteTimeoutMs } from '../support/fuzz-settings';
import {
  FUZZ_NOW,
  fuzzTargets,
  startFuzzNode,
  type FuzzNode,
  type RawRequest,
} from '../support/fuzz-runtime';

/** Cases per backend in `npm test` (about 5 requests each; ~15 s here, ~8 s to set up). */
const RUNS = 500;
const MS_PER_RUN = 60;

const targets = fuzzTargets('push fuzz', ['central/pglite', 'central/postgres'] as const);

async function exchange(
  world: PushWorld,
  request: RawRequest,
  meta: { actor: string; route: string; mutation: string; text?: string | undefined },
): Promise<Exchange & { headers: Headers }> {
  const res = await world.node.send(request);
  return {
    headers: res.headers,
    actor: meta.actor,
    method: request.method,
    url: request.url,
    route: meta.route,
    mutation: meta.mutation,
    requestHeaders: request.headers,
    requestBody: meta.text ?? (typeof request.body === 'string' ? request.body : undefined),
    status: res.status,
    responseText: res.text,
    ms: res.ms,
    logLines: res.logLines,
  };
}

const sendPush = (world: PushWorld, push: BuiltPush, label: string) =>
  exchange(
    world,
    { method: 'POST', url: push.url, headers: push.headers, body: push.body },
    { actor: 'node', route: 'POST /sync/v{n}/push', mutation: label, text: push.text },
  );

const parse = (text: string): Json => {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
};

/** One case: the batch, a resend when it failed, a replay, the probe, the read-backs. */
let probes = 0;

/** A new id for each probe (shrinking replays a case: its probe must still be new). */
const nextProbeId = () => `fffffffe-0000-7000-8000-${(probes += 1).toString(16).padStart(12, '0')}`;

async function runCase(world: PushWorld, recorder: FuzzRecorder, c: PushCase) {
  const violations: Violation[] = [];
  const label = describeCase(c);
  const last = await lastAppliedSeq(world, world.fuzzed.id);
  const push = buildPush(world, c, last);
  let first = await sendPush(world, push, label);
  recorder.saw(first);
  violations.push(...pushViolations(first, push, last, world));

  // A node resends what got no answer: it must get one now, or its outbox is stuck.
  if (push.wellFormed && first.status !== 200) {
    const again = await sendPush(world, push, `${label} (resent)`);
    recorder.saw(again);
    if (again.status !== 200) {
      violations.push({
        property: 'blocked-outbox',
        message: `a well-formed batch answered ${first.status}, then ${again.status} when resent: the node cannot get past seq ${last + 1}`,
        exchange: again,
      });
    } else first = again;
  }

  // A replay (lost answer) or the same batch in another order gets the same answers.
  if (first.status === 200 && push.wellFormed && c.followUp !== 'none') {
    const payload = push.payload as { mutations: unknown[] };
    const { 'Content-Length': _length, ...headers } = push.headers;
    const replayed: BuiltPush =
      c.followUp === 'replay'
        ? push
        : {
            ...push,
            headers: { ...headers, 'Content-Encoding': 'gzip' },
            body: gzipSync(
              JSON.stringify({ ...payload, mutations: [...payload.mutations].reverse() }),
            ),
          };
    const upTo = expectedLastSeq(last, push.seqs);
    const again = await sendPush(world, replayed, `${label} (${c.followUp})`);
    recorder.saw(again);
    violations.push(...pushViolations(again, { ...replayed, seqs: push.seqs }, upTo, world));
    for (const d of replayDifferences(parse(first.responseText), parse(again.responseText), upTo)) {
      violations.push({ property: 'replay', message: d, exchange: again });
    }
  }

  // The node's next change must still be answered.
  const now = await lastAppliedSeq(world, world.fuzzed.id);
  const probe = await exchange(
    world,
    {
      method: 'POST',
      url: '/sync/v3/push',
      headers: {
        Authorization: `Bearer ${world.fuzzed.token}`,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(
        JSON.stringify({
          protocol_version: 3,
          node_id: world.fuzzed.id,
          backlog: 1,
          mutations: [probeMutation(world, now + 1, nextProbeId())],
        }),
      ),
    },
    { actor: 'node', route: 'POST /sync/v3/push (probe)', mutation: `probe after: ${label}` },
  );
  recorder.saw(probe);
  const answer = parse(probe.responseText);
  if (
    probe.status !== 200 ||
    answer?.last_applied_seq !== now + 1 ||
    answer?.results?.[0]?.outcome !== 'applied'
  ) {
    violations.push({
      property: 'blocked-outbox',
      message: `after the case, the node's next mutation (seq ${now + 1}, a new patient) was not applied`,
      exchange: probe,
    });
  }

  // What was pushed must not break central's own reads.
  const reads = [
    ...new Set(
      push.entities
        .filter((x) => x.kind !== 'notifications')
        .map((x) => `/api/v1/${x.kind}/${x.id}/`),
    ),
    ...push.notificationRows
      .filter((r) => r.owner === 'central')
      .map((r) => `/api/v1/notifications/${r.id}/`),
  ];
  for (const url of reads.slice(0, 6)) {
    const read = await exchange(
      world,
      { method: 'GET', url, headers: { Authorization: `Bearer ${world.admin}` } },
      {
        actor: 'admin',
        route: `GET ${url.replace(/[0-9a-f-]{36}/, '{id}')}`,
        mutation: `read-back after: ${label}`,
      },
    );
    recorder.saw(read);
    if (read.status >= 500)
      violations.push({
        property: 'poisoned-read',
        message: `central's API answered ${read.status}`,
        exchange: read,
      });
    const address =
      read.status === 200 && url.includes('/notifications/')
        ? String(parse(read.responseText)?.address)
        : '';
    if (address.includes('attacker.example') || address.startsWith('+1555')) {
      violations.push({
        property: 'notification-address',
        message: `a row central delivers kept the address the node wrote (${address})`,
        exchange: read,
      });
    }
  }
  recorder.check(violations);
}

/** Every list of central's API (all pages) and every shape of the node, once. */
async function sweep(world: PushWorld, recorder: FuzzRecorder) {
  const violations: Violation[] = [];
  const get = async (url: string, token: string, route: string) => {
    const e = await exchange(
      world,
      { method: 'GET', url, headers: { Authorization: `Bearer ${token}` } },
      { actor: 'admin', route, mutation: 'sweep after the fuzzing' },
    );
    recorder.saw(e);
    if (e.status >= 500)
      violations.push({ property: 'poisoned-read', message: `answered ${e.status}`, exchange: e });
    return e;
  };
  for (const list of ['appointments', 'patients', 'notifications', 'conflicts', 'nodes', 'users']) {
    for (let page = 1; page <= 50; page += 1) {
      const e = await get(
        `/api/v1/${list}/?page_size=100&page=${page}`,
        world.admin,
        `GET /api/v1/${list}/`,
      );
      if (e.status !== 200 || !parse(e.responseText)?.next) break;
    }
  }
  // Central's own write after all those clocks: its stamps must still be HLCs
  // ("<13-digit ms>-<4-digit counter>-<node>"), or string order is no longer clock order.
  const admin = { Authorization: `Bearer ${world.admin}`, 'Content-Type': 'application/json' };
  const patient = await world.node.send({
    method: 'POST',
    url: '/api/v1/patients/',
    headers: admin,
    body: JSON.stringify({
      patient_id: `MRN-SWEEP-${nextProbeId().slice(-8)}`,
      first_name: 'Sweep',
      last_name: 'Patient',
      registered_facility: world.home.facility,
    }),
  });
  const booked = await exchange(
    world,
    {
      method: 'POST',
      url: '/api/v1/appointments/',
      headers: admin,
      body: JSON.stringify({
        patient: parse(patient.text)?.id,
        provider: world.home.providers[0],
        facility: world.home.facility,
        appointment_type: 'consultation',
        start_time: new Date(FUZZ_NOW + 400 * 24 * 3_600_000).toISOString(),
        end_time: new Date(FUZZ_NOW + (400 * 24 + 1) * 3_600_000).toISOString(),
      }),
    },
    {
      actor: 'admin',
      route: 'POST /api/v1/appointments/',
      mutation: 'sweep: a booking on central',
    },
  );
  recorder.saw(booked);
  const bookedId = parse(booked.responseText)?.id as string | undefined;
  let sawBooking = false;
  if (booked.status !== 201 || !bookedId)
    throw new Error(`sweep: booking on central failed: ${booked.status} ${booked.responseText}`);
  for (const table of [
    'facilities',
    'users',
    'user_facilities',
    'patients',
    'appointments',
    'notifications',
    'conflicts',
  ]) {
    let url = `/sync/v3/shape?table=${table}&offset=-1`;
    for (let page = 0; page < 50; page += 1) {
      const e = await get(url, world.fuzzed.token, `GET /sync/v3/shape?table=${table}`);
      for (const message of (parse(e.responseText) ?? []) as Json[]) {
        if (table !== 'appointments' || message?.value?.id !== bookedId) continue;
        sawBooking = true;
        const clocks = Object.values(parse(String(message.value.clocks)) ?? {}) as string[];
        const bad = clocks.filter((c) => !/^\d{13}-\d{4}-/.test(c));
        if (bad.length > 0) {
          violations.push({
            property: 'hlc',
            message: `central stamped its own booking with ${bad.join(', ')}: not a 13-digit HLC, so string order is no longer clock order (after the pushed clocks)`,
            exchange: e,
          });
        }
      }
      const handle = e.headers.get('electric-handle');
      const offset = e.headers.get('electric-offset');
      if (e.status !== 200 || !handle || !offset || e.headers.has('electric-up-to-date')) break;
      url = `/sync/v3/shape?table=${table}&offset=${offset}&handle=${handle}`;
    }
  }
  if (!sawBooking)
    throw new Error("sweep: the booking made on central is not in the node's appointments shape");
  recorder.check(violations);
}

describe.each(targets)('push fuzz on %s', (target) => {
  let node: FuzzNode | undefined;
  let world: PushWorld;

  beforeAll(async () => {
    process.stdout.write(`\nfuzz push/${target}: seed ${fuzzSettings.seed}\n`);
    node = await startFuzzNode(target);
    world = await makePushWorld(node);
  });
  afterAll(async () => {
    await node?.close();
  });

  it(
    'answers every batch without a 5xx, never blocks the outbox, never leaks another facility',
    async () => {
      const recorder = new FuzzRecorder(`push/${target}`);
      try {
        await fc.assert(
          fc.asyncProperty(pushCaseArbitrary, async (c) => {
            await runCase(world, recorder, c);
          }),
          fcParameters(RUNS, MS_PER_RUN),
        );
        await sweep(world, recorder);
      } finally {
        process.stdout.write(`\n${recorder.summary()}\n`);
      }
      recorder.finish();
    },
    suiteTimeoutMs(RUNS, MS_PER_RUN),
  );

  it('a node whose push failed can still push (sanity of the oracle)', async () => {
    const last = await lastAppliedSeq(world, world.fuzzed.id);
    const res = await pushAsNode(world, world.fuzzed, {
      protocol_version: 3,
      node_id: world.fuzzed.id,
      backlog: 1,
      mutations: [probeMutation(world, last + 1, nextProbeId())],
    });
    const body = parse(res.text);
    if (res.status !== 200 || body?.last_applied_seq !== last + 1) {
      throw new Error(`probe: ${res.status} ${res.text.slice(0, 300)}`);
    }
    await apiCall(world.node, 'GET', '/api/v1/nodes/', { token: world.admin, expect: 200 });
  });
});
