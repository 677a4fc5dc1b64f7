/**
 * Central's push against what a stolen or broken node may send (issue 11): text central
 * cannot store, values out of range and malformed mutations are rejections of that one
 * mutation (never a 5xx, never a blocked outbox); a rejection of another facility's id
 * carries no row; relayed notifications go only to contacts central knows; the backlog
 * central shows is what the node has left after the answer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHlc } from '@clinic/domain';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/postgres';
import {
  REGISTERS,
  appointmentRow,
  createMutation,
  enrollRaw,
  rawPush,
  stamp,
  type RawNode,
} from './raw-push';
import { HOUR, startWorld, type Json, type SyncWorld } from './sync-harness';

const pgUrl = testDatabaseUrl('sync push (hostile)');
const backends = pgUrl ? (['pglite', 'postgres'] as const) : (['pglite'] as const);

describe.each(backends)('hostile pushes to central on %s', (backend) => {
  let world: SyncWorld;
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    if (backend === 'postgres') db = await createTestDatabase(pgUrl!);
    world = await startWorld(db ? { databaseUrl: db.url } : {});
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await db?.drop();
  });

  // The raw-push builders, bound to this suite's world.
  const enroll = (facilities: string[]) => enrollRaw(world, facilities);
  const appointment = (facility: string, patient: string, start: number, extra: Json = {}) =>
    appointmentRow(world, facility, patient, start, extra);
  const put = createMutation;

  function patientPut(node: RawNode, row: Json, created = true) {
    const h = stamp(node.id);
    node.seq += 1;
    const changed = Object.keys(row).filter((k) => k !== 'id');
    return {
      seq: node.seq,
      kind: 'patient.put',
      entity_id: row.id,
      hlc: h,
      args: { row, changed, clocks: Object.fromEntries(changed.map((f) => [f, h])), created },
    };
  }

  function patient(facility: string, extra: Json = {}) {
    const now = Date.now();
    return {
      id: randomUUID(),
      patient_id: `MRN-H-${randomUUID().slice(0, 8)}`,
      first_name: 'Neema',
      last_name: 'Hostile',
      phone_number: '+254700111222',
      email: 'neema@example.org',
      registered_facility: facility,
      is_active: true,
      created_at: now,
      updated_at: now,
      ...extra,
    };
  }

  const push = (node: RawNode, mutations: Json[], backlog = mutations.length, version = 3) =>
    rawPush(world, node, mutations, { backlog, version });

  it('rejects a row with a NUL (and other control characters) and applies the next mutation', async () => {
    const [f1] = world.region.facilities;
    const node = await enroll([f1.id]);
    const nul = patientPut(node, patient(f1.id, { first_name: 'Ne\u0000ema' }));
    const bell = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 90 * HOUR, {
        reason: 'ring\u0007',
      }),
    );
    const good = put(node, appointment(f1.id, world.region.patients[0].id, Date.now() + 92 * HOUR));
    const res = await push(node, [nul, bell, good]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: Json) => [r.outcome, r.code])).toEqual([
      ['rejected', 'invalid'],
      ['rejected', 'invalid'],
      ['applied', undefined],
    ]);
    expect(res.body.results[0].message).toBe(
      'args.row.first_name: Null characters are not allowed.',
    );
    expect(res.body.results[1].message).toBe(
      'args.row.reason: Control characters are not allowed.',
    );
    expect(res.body.last_applied_seq).toBe(3);
    // Version 2 (a node that has not upgraded) gets the same treatment.
    const old = patientPut(node, patient(f1.id, { last_name: 'x\u0000' }));
    const v2 = await push(node, [old], 1, 2);
    expect(v2.status).toBe(200);
    expect(v2.body.results[0]).toMatchObject({ outcome: 'rejected', code: 'invalid' });
  });

  it("refuses control characters in the shape server's query parameters (400, not echoed)", async () => {
    const [f1] = world.region.facilities;
    const node = await enroll([f1.id]);
    for (const query of ['table=appointments&offset=%00', 'table=users&offset=-1&handle=%07x']) {
      const res = await fetch(`${world.central.server.url}/sync/v3/shape?${query}`, {
        headers: { authorization: `Bearer ${node.token}` },
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, string[]>;
      expect(Object.values(body).flat()[0]).toMatch(
        /^(Null|Control) characters are not allowed\.$/,
      );
    }
  });

  it('rejects a mutation that does not match its schema, and refuses a batch only when a seq is missing', async () => {
    const [f1] = world.region.facilities;
    const node = await enroll([f1.id]);
    const broken = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 95 * HOUR),
    );
    (broken.args.row as Json).start_time = 'tomorrow';
    const good = put(node, appointment(f1.id, world.region.patients[0].id, Date.now() + 97 * HOUR));
    const res = await push(node, [broken, good]);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ seq: 1, outcome: 'rejected', code: 'invalid' });
    expect(res.body.results[0].message).toMatch(/^args\.row\.start_time: /);
    expect(res.body.results[0].message).not.toContain('tomorrow');
    expect(res.body.results[1].outcome).toBe('applied');
    // An unknown kind is a rejection too: a newer node talking to an older central.
    node.seq += 1;
    const future = {
      seq: node.seq,
      kind: 'waitlist.put',
      entity_id: randomUUID(),
      hlc: stamp(node.id),
      args: {},
    };
    expect((await push(node, [future])).body.results[0]).toMatchObject({
      outcome: 'rejected',
      code: 'invalid',
    });
    // Without a seq there is nothing to answer by: the batch is refused, and a good one after it works.
    const noSeq = await push(node, [{ kind: 'appointment.put' }]);
    expect(noSeq.status).toBe(400);
    const next = put(node, appointment(f1.id, world.region.patients[0].id, Date.now() + 99 * HOUR));
    expect((await push(node, [next])).body.results[0].outcome).toBe('applied');
  });

  it('rejects a time outside 1900-9999, which would break every list that shows it', async () => {
    const [f1] = world.region.facilities;
    const node = await enroll([f1.id]);
    // An integer, as the wire schema asks, and an hour long; past what JavaScript dates hold.
    const huge = put(node, appointment(f1.id, world.region.patients[0].id, 9e15));
    const good = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 101 * HOUR),
    );
    const res = await push(node, [huge, good]);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({
      outcome: 'rejected',
      code: 'invalid',
      message: 'args.row.start_time: Enter a time between the years 1900 and 9999.',
    });
    expect(res.body.results[1].outcome).toBe('applied');
    const list = await world.c.call('GET', '/api/v1/appointments/', undefined, world.adminToken);
    expect(list.status).toBe(200);
  });

  it('rejects a value central cannot store (SQLSTATE class 22), never answering 500', async () => {
    const [f1] = world.region.facilities;
    const node = await enroll([f1.id]);
    const row = appointment(f1.id, world.region.patients[0].id, Date.now() + 103 * HOUR);
    expect((await push(node, [put(node, row)])).body.results[0].outcome).toBe('applied');
    // attempts passes the wire schema (a non-negative integer) but no integer column holds it.
    const now = Date.now();
    node.seq += 1;
    const overflow = {
      seq: node.seq,
      kind: 'notifications.put',
      entity_id: row.id,
      hlc: stamp(node.id),
      args: {
        rows: [
          {
            id: randomUUID(),
            appointment_id: row.id,
            event: 'created',
            recipient: 'patient',
            channel: 'sms',
            address: '+254700000002',
            dedupe_key: `${row.id}:created:x:patient:sms`,
            status: 'pending',
            attempts: 3e9,
            created_at: now,
            sent_at: null,
            owner: node.id,
            next_attempt_at: now,
            last_error: null,
            conflict_id: null,
            reminder_for: null,
            updated_at: now,
          },
        ],
      },
    };
    const good = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 105 * HOUR),
    );
    const res = await push(node, [overflow, good]);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ outcome: 'rejected', code: 'invalid' });
    expect(res.body.results[0].message).toMatch(/\(22003\)/);
    expect(res.body.results[1].outcome).toBe('applied');
  });

  it('refuses a mutation stamped more than a day ahead of central, and one with a malformed stamp', async () => {
    const [f1] = world.region.facilities;
    const node = await enroll([f1.id]);
    const ahead = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 107 * HOUR),
    );
    const far = formatHlc({ ms: 9_999_999_999_999, counter: 9999, node: node.id });
    ahead.hlc = far;
    ahead.args.clocks = Object.fromEntries(REGISTERS.map((r) => [r, far]));
    const garbled = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 109 * HOUR),
    );
    garbled.hlc = 'not-a-clock';
    const good = put(
      node,
      appointment(f1.id, world.region.patients[0].id, Date.now() + 111 * HOUR),
    );
    const res = await push(node, [ahead, garbled, good]);
    expect(res.body.results.map((r: Json) => [r.outcome, r.code])).toEqual([
      ['rejected', 'clock'],
      ['rejected', 'clock'],
      ['applied', undefined],
    ]);
    expect(res.body.results[0].message).toMatch(/h ahead of central's clock/);
    // Central's own clock did not follow the hostile stamp.
    const centralNow = Number(world.central.runtime.hlc.now().slice(0, 13));
    expect(centralNow).toBeLessThan(Date.now() + HOUR);
  });

  it("never sends another facility's rows back in a rejection", async () => {
    const [f1, f2] = world.region.facilities;
    const foreignPatient = world.region.patients[1]; // registered at f2
    // An appointment at f2, made on central.
    const made = await world.c.call(
      'POST',
      '/api/v1/appointments/',
      {
        patient: foreignPatient.id,
        provider: world.region.provider.id,
        facility: f2.id,
        appointment_type: 'antenatal',
        reason: 'a private reason at River',
        start_time: new Date(Date.now() + 120 * HOUR).toISOString(),
        end_time: new Date(Date.now() + 121 * HOUR).toISOString(),
      },
      world.adminToken,
    );
    expect(made.status).toBe(201);
    const node = await enroll([f1.id]);
    // The node pushes the foreign ids as if they were its own (at f1).
    const steal = put(
      node,
      { ...appointment(f1.id, foreignPatient.id, Date.now() + 120 * HOUR), id: made.body.id },
      false,
    );
    const stealPatient = patientPut(node, { ...patient(f1.id), id: foreignPatient.id }, false);
    const res = await push(node, [steal, stealPatient]);
    expect(res.status).toBe(200);
    for (const r of res.body.results) {
      expect(r).toMatchObject({ outcome: 'rejected', code: 'out_of_scope', row: null });
    }
    const text = JSON.stringify(res.body);
    for (const secret of [
      'a private reason at River',
      foreignPatient.patient_id,
      foreignPatient.last_name,
      foreignPatient.email,
      foreignPatient.phone_number,
    ]) {
      expect(text).not.toContain(secret);
    }
    // A replay gets the same (row-less) answer.
    expect((await push(node, [steal, stealPatient])).body.results).toEqual(res.body.results);
  });

  it('delivers relayed notifications only to the contacts central knows', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const node = await enroll([f1.id]);
    const row = appointment(f1.id, p1.id, Date.now() + 130 * HOUR);
    expect((await push(node, [put(node, row)])).body.results[0].outcome).toBe('applied');
    const now = Date.now();
    const notice = (recipient: string, channel: string, address: string) => ({
      id: randomUUID(),
      appointment_id: row.id,
      event: 'created',
      recipient,
      channel,
      address,
      dedupe_key: `${row.id}:created:${randomUUID()}:${recipient}:${channel}`,
      status: 'pending',
      attempts: 0,
      created_at: now,
      sent_at: null,
      owner: 'central',
      next_attempt_at: now,
      last_error: null,
      conflict_id: null,
      reminder_for: null,
      updated_at: now,
    });
    node.seq += 1;
    const relay = {
      seq: node.seq,
      kind: 'notifications.put',
      entity_id: row.id,
      hlc: stamp(node.id),
      args: {
        rows: [
          notice('patient', 'email', 'attacker@evil.example'),
          notice('patient', 'sms', '+15550000000'),
          notice('provider', 'email', 'someone@evil.example'),
          notice('admin', 'email', 'boss@evil.example'),
        ],
      },
    };
    const res = await push(node, [relay]);
    expect(res.body.results[0].outcome).toBe('applied');
    expect(res.body.results[0].message).toMatch(/^1 notification\(s\) not kept/);
    const kept = await world.central.runtime.store.listNotifications({
      appointment: row.id,
      limit: 100,
      offset: 0,
    });
    const relayed = kept.rows.filter((n) => relay.args.rows.some((r) => r.id === n.id));
    expect(relayed.map((n) => [n.recipient, n.channel, n.address]).sort()).toEqual(
      [
        ['patient', 'email', p1.email],
        ['patient', 'sms', p1.phone_number],
        ['provider', 'email', world.region.provider.email],
      ].sort(),
    );
  });

  it('shows the backlog the node has left once it has the answer', async () => {
    const [f1] = world.region.facilities;
    const [p1] = world.region.patients;
    const node = await enroll([f1.id]);
    const backlogOf = async () => {
      const res = await world.c.call(
        'GET',
        `/api/v1/nodes/${node.id}/`,
        undefined,
        world.adminToken,
      );
      return res.body.backlog as number | null;
    };
    const two = [0, 1].map((i) =>
      put(node, appointment(f1.id, p1.id, Date.now() + (140 + 2 * i) * HOUR)),
    );
    await push(node, two, 5);
    expect(await backlogOf()).toBe(3);
    const last = [0, 1, 2].map((i) =>
      put(node, appointment(f1.id, p1.id, Date.now() + (150 + 2 * i) * HOUR)),
    );
    await push(node, last, 3);
    expect(await backlogOf()).toBe(0);
  });
});
