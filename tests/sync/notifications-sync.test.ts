/**
 * Notifications through sync (protocol v3, sync/SPEC.md section 7): a clinic node pushes
 * the rows it queued (`notifications.put`); central keeps them, delivers the relayed ones,
 * and never lets a node overwrite what central delivers; delivery states come back to the
 * nodes by pull, so `notifications_sent` shows on the node too.
 */
import { randomUUID } from 'node:crypto';
import { CENTRAL_OWNER, formatHlc } from '@clinic/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR, PASSWORD, login, startWorld, type Json, type SyncWorld } from './sync-harness';

let world: SyncWorld;

beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

const REGISTERS = ['slot', 'details', 'status', 'deleted'];

interface RawNode {
  id: string;
  token: string;
  seq: number;
}

async function enroll(name: string): Promise<RawNode> {
  const res = await world.c.call(
    'POST',
    '/api/v1/nodes/',
    { name, facilities: [world.region.facilities[0].id] },
    world.adminToken,
  );
  expect(res.status).toBe(201);
  return { id: res.body.id, token: res.body.token, seq: 0 };
}

function notification(node: RawNode, appointment: string, extra: Json = {}) {
  const now = Date.now();
  return {
    id: randomUUID(),
    appointment_id: appointment,
    event: 'created',
    recipient: 'patient',
    channel: 'email',
    address: 'p@example.org',
    dedupe_key: `${appointment}:created:${randomUUID()}:patient:x:email`,
    status: 'pending',
    attempts: 0,
    created_at: now,
    sent_at: null,
    owner: node.id,
    next_attempt_at: now,
    last_error: null,
    conflict_id: null,
    reminder_for: null,
    updated_at: now,
    ...extra,
  };
}

function put(node: RawNode, rows: Json[]) {
  node.seq += 1;
  return {
    seq: node.seq,
    kind: 'notifications.put',
    entity_id: rows[0].id,
    hlc: formatHlc({ ms: Date.now(), counter: 0, node: node.id }),
    args: { rows },
  };
}

function bookingMutation(node: RawNode, start: number) {
  const h = formatHlc({ ms: Date.now(), counter: node.seq, node: node.id });
  node.seq += 1;
  const row = {
    id: randomUUID(),
    patient: world.region.patients[0].id,
    provider: world.region.provider.id,
    facility: world.region.facilities[0].id,
    appointment_type: 'consultation',
    reason: 'cough',
    status: 'scheduled',
    start_time: start,
    end_time: start + HOUR / 2,
    created_by: null,
    deleted_at: null,
    created_at: Date.now(),
    updated_at: Date.now(),
  };
  return {
    mutation: {
      seq: node.seq,
      kind: 'appointment.put',
      entity_id: row.id,
      hlc: h,
      args: {
        row,
        changed: REGISTERS,
        base: {},
        clocks: Object.fromEntries(REGISTERS.map((r) => [r, h])),
        created: true,
      },
    },
    id: row.id,
  };
}

async function push(node: RawNode, mutations: Json[], version = 3) {
  return world.c.call(
    'POST',
    `/sync/v${version}/push`,
    { protocol_version: version, node_id: node.id, backlog: 0, mutations },
    node.token,
  );
}

async function centralRows(appointment: string): Promise<Json[]> {
  const res = await world.c.call(
    'GET',
    `/api/v1/notifications/?appointment=${appointment}&page_size=100`,
    undefined,
    world.adminToken,
  );
  expect(res.status).toBe(200);
  return res.body.results as Json[];
}

let slot = Date.now() + 72 * HOUR;
const nextSlot = () => (slot += 2 * HOUR);

describe('notifications over push', () => {
  it("keeps a node's rows, moves its own forward only, and never lets it overwrite central's", async () => {
    const node = await enroll('notify raw');
    const booking = bookingMutation(node, nextSlot());
    const own = notification(node, booking.id);
    const relayed = notification(node, booking.id, {
      owner: CENTRAL_OWNER,
      recipient: 'provider',
      dedupe_key: `${booking.id}:created:x:provider:y:email`,
    });
    const first = await push(node, [booking.mutation, put(node, [own, relayed])]);
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: Json) => r.outcome)).toEqual(['applied', 'applied']);
    let rows = await centralRows(booking.id);
    expect(rows.map((r) => [r.delivered_by, r.status]).sort()).toEqual(
      [
        [CENTRAL_OWNER, 'pending'],
        [node.id, 'pending'],
      ].sort(),
    );

    // The node delivered its own: central records it. An older state never wins.
    const sent = {
      ...own,
      status: 'sent',
      attempts: 1,
      sent_at: Date.now(),
      updated_at: Date.now() + 5,
    };
    const stale = { ...own, status: 'failed', updated_at: own.updated_at + 1 };
    // And it cannot touch the row central delivers.
    const hijack = { ...relayed, status: 'failed', updated_at: Date.now() + 10 };
    const second = await push(node, [put(node, [sent]), put(node, [stale, hijack])]);
    expect(second.body.results.map((r: Json) => r.outcome)).toEqual(['applied', 'applied']);
    rows = await centralRows(booking.id);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(own.id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(byId.get(relayed.id)).toMatchObject({ status: 'pending', delivered_by: CENTRAL_OWNER });
  });

  it('refuses rows queued for a third party, and skips rows of an appointment central lacks', async () => {
    const node = await enroll('notify refusals');
    const foreign = notification(node, randomUUID(), { owner: randomUUID() });
    const refused = await push(node, [put(node, [foreign])]);
    expect(refused.body.results[0]).toMatchObject({ outcome: 'rejected', code: 'validation' });

    const orphan = notification(node, randomUUID());
    const skipped = await push(node, [put(node, [orphan])]);
    expect(skipped.body.results[0]).toMatchObject({ outcome: 'applied' });
    expect(skipped.body.results[0].message).toMatch(/not kept/);
    const res = await world.c.call(
      'GET',
      `/api/v1/notifications/${orphan.id}/`,
      undefined,
      world.adminToken,
    );
    expect(res.status).toBe(404);
  });

  it('the previous protocol version does not know notifications.put: that mutation is rejected', async () => {
    const node = await enroll('notify v2');
    const res = await push(node, [put(node, [notification(node, randomUUID())])], 2);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      expect.objectContaining({ seq: 1, outcome: 'rejected', code: 'invalid' }),
    ]);
    expect(res.body.results[0].message).toMatch(/^kind: /);
  });
});

describe('notifications through a clinic node', () => {
  it('relays a booking made on the node; what central delivers shows on the node after a pull', async () => {
    const f1 = world.region.facilities[0];
    const node = await world.startNode('notify relay', [f1.id]);
    // Central's token: a node verifies it offline with central's keys.
    const token = await login(world.c, world.region.provider.username, PASSWORD);
    // The node knows the provider and the patient once its first pull has run.
    const patientPath = `/api/v1/patients/${world.region.patients[0].id}/`;
    for (let i = 0; ; i += 1) {
      const res = await node.e.call('GET', patientPath, undefined, token);
      if (res.status === 200) break;
      if (i > 100) throw new Error(`node never synced: ${res.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const start = nextSlot();
    const booked = await node.e.call(
      'POST',
      '/api/v1/appointments/',
      {
        patient: world.region.patients[0].id,
        provider: world.region.provider.id,
        facility: f1.id,
        appointment_type: 'consultation',
        reason: 'relay me',
        start_time: new Date(start).toISOString(),
        end_time: new Date(start + HOUR / 2).toISOString(),
      },
      token,
    );
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const id = booked.body.id as string;
    expect((await node.e.call('POST', '/api/v1/sync/run/', undefined, token)).status).toBe(200);

    const rows = await centralRows(id);
    // created + reminder, patient + provider, email + sms; all for central to deliver.
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.delivered_by === CENTRAL_OWNER)).toBe(true);
    expect(
      rows.every((r) => !String(r.address).includes('example.org') || r.address.includes('***')),
    ).toBe(true);

    // Central delivers (its dispatcher has no transport in this world: the rows are marked
    // sent the way the dispatcher records them).
    const store = world.central.runtime.store;
    await store.write(async (tx) => {
      for (const r of rows.filter((x) => x.event === 'created')) {
        const row = await tx.getNotification(r.id);
        await tx.updateNotification({
          ...row!,
          status: 'sent',
          attempts: 1,
          sent_at: Date.now(),
          updated_at: Date.now(),
        });
      }
    });
    const onCentral = await world.c.call('GET', `/api/v1/appointments/${id}/`, undefined, token);
    expect(onCentral.body.notifications_sent).toHaveLength(4);

    expect((await node.e.call('POST', '/api/v1/sync/run/', undefined, token)).status).toBe(200);
    const onNode = await node.e.call('GET', `/api/v1/appointments/${id}/`, undefined, token);
    expect(onNode.status).toBe(200);
    expect(onNode.body.notifications_sent).toHaveLength(4);
    expect(
      onNode.body.notifications_sent
        .map((n: Json) => `${n.recipient}/${n.method}/${n.event}`)
        .sort(),
    ).toEqual([
      'patient/email/created',
      'patient/sms/created',
      'provider/email/created',
      'provider/sms/created',
    ]);
    // The node never delivers what it relayed: its dispatcher has no transport.
    expect(node.edge.runtime.dispatcher.channels).toEqual([]);
  });

  it('a late conflict queues notices for the admins and the provider, once', async () => {
    const a = await enroll('notify conflict A');
    const b = await enroll('notify conflict B');
    const start = nextSlot();
    const ma = bookingMutation(a, start);
    const mb = bookingMutation(b, start);
    expect((await push(a, [ma.mutation])).body.results[0].outcome).toBe('applied');
    const second = await push(b, [mb.mutation]);
    expect(second.body.results[0].outcome).toBe('applied_with_conflict');
    const rows = (await centralRows(mb.id)).filter((r) => r.event === 'conflict');
    // One record per dimension (same provider, same patient, facility over capacity); each
    // is told to the provider of both appointments (one person here), by email and SMS.
    // The admin of this world has no address.
    const opened = second.body.results[0].conflicts as string[];
    expect(opened.length).toBeGreaterThan(0);
    for (const conflict of opened) {
      expect(
        rows
          .filter((r) => r.conflict === conflict)
          .map((r) => `${r.recipient}/${r.method}`)
          .sort(),
      ).toEqual(['provider/email', 'provider/sms']);
    }
    expect(rows).toHaveLength(2 * opened.length);
    // The same overlap found again (a replay of the push) queues nothing new.
    await push(b, [mb.mutation]);
    expect((await centralRows(mb.id)).filter((r) => r.event === 'conflict')).toHaveLength(
      rows.length,
    );
  });
});
