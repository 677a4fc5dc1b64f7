/**
 * Notification delivery with real processes (issue 4): central and two clinic nodes as real
 * `clinic` processes, a real SMTP server on loopback (tests/support/smtp-sink.ts) and a fake
 * SMS webhook. One cluster for the file, so the tests run in order; each books in a region of
 * its own and tells its mails apart by a reason no other booking uses.
 *
 * - central delivers its own bookings: both mails, once each, in the facility's time zone;
 *   `notifications_sent` lists them on central and, after sync, on the node; SMS go through
 *   the webhook, one segment each, with an Idempotency-Key;
 * - a node without a transport relays: nothing while it is cut off, each mail once after;
 * - a node with its own SMTP delivers directly while cut off, and central never repeats it;
 * - moved and deleted: one "changed" and one "cancelled" mail each, reminders follow the slot;
 * - a late conflict: one mail to each admin and to the providers of both bookings;
 * - SMTP down: retried with backoff until it is back; 550: dead letter, admin retry (on the
 *   node that delivers it, never on central for a node's row);
 * - reminders before the start, dropped on cancel;
 * - a crash between the SMTP server's acceptance and the record (central, and a node with
 *   its own SMTP): the resend carries the same Message-ID, and there is nothing after it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  createCluster,
  enrollNode,
  seedRegion,
  waitUntil,
  type ApiResponse,
  type CentralServer,
  type ClinicServer,
  type EdgeServer,
  type ProxiedEdge,
  type Region,
} from '../support/cluster';
import { startFakeWebhook, type FakeWebhook } from '../support/fake-sms-gateways';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const CENTRAL_FROM = 'noreply@hope-central.example';
const NODE_FROM = 'frontdesk@own-clinic.example';
const WEBHOOK_TOKEN = `wh-${randomBytes(8).toString('hex')}`;
/** `--reminder-hours` of central: 7.2 s, so a reminder comes due inside a test. */
const REMINDER_HOURS = 0.002;
const REMINDER_LEAD_MS = REMINDER_HOURS * HOUR;
/** The first retry after 0.5 s instead of 10 s, so a test sees several attempts. */
const RETRY_ENV = { CLINIC_NOTIFY_RETRY_BASE_MS: '500' };
const CENTRAL_ENV = { ...RETRY_ENV, CLINIC_SMS_WEBHOOK_TOKEN: WEBHOOK_TOKEN };
/** A local admin of the node with its own SMTP (its dead letter is retried there). */
const NODE_ADMIN = {
  username: 'node-admin',
  password: `node-admin-${randomBytes(6).toString('hex')}`,
};
/** Every notification row is one of these, as the admin API shows it. */
interface NotificationRow {
  id: string;
  appointment: string;
  event: string;
  recipient: string;
  method: 'email' | 'sms';
  address: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'dropped';
  attempts: number;
  delivered_by: string;
  created_at: string;
  next_attempt_at: string;
  sent_at: string | null;
  last_error: string | null;
  conflict: string | null;
}

const cluster = createCluster();
let sink: SmtpSink;
let webhook: FakeWebhook;
let central: CentralServer;
/** A clinic node without a transport: it relays its notifications through central. */
let relay: { edge: ProxiedEdge; region: Region; token: string };
/** A clinic node with its own --smtp-url (the same sink): it delivers its emails itself. */
let own: { edge: ProxiedEdge; region: Region; token: string; nodeId: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A reason no other booking of this file uses: how a test finds its own mails. */
function uniqueReason(label: string): string {
  return `${label} visit ${randomBytes(4).toString('hex')}`;
}

function mailsWith(reason: string): SinkMessage[] {
  return sink.messages.filter((m) => m.text.includes(reason));
}

/** to -> messages, for counting per recipient. */
function byRecipient(messages: SinkMessage[]): Map<string, SinkMessage[]> {
  const out = new Map<string, SinkMessage[]>();
  for (const m of messages) out.set(m.to, [...(out.get(m.to) ?? []), m]);
  return out;
}

function describeMails(messages: SinkMessage[]): string {
  return messages.map((m) => `${m.to} ${m.messageId} "${m.subject}"`).join('\n');
}

/** The addresses of the region's provider and of `patients[i]` (as seedRegion makes them). */
function addressesOf(region: Region, patient: 0 | 1 = 0): { patient: string; provider: string } {
  const tag = region.provider.username.slice('dr.'.length);
  return { patient: `patient${patient + 1}.${tag}@example.org`, provider: `dr.${tag}@example.org` };
}

/** A booking body with exact times (not rounded to minutes, unlike appointmentBody). */
function booking(
  region: Region,
  start: number,
  reason: string,
  facility: 0 | 1 = 0,
): Record<string, string> {
  return {
    patient: region.patients[facility].id,
    provider: region.provider.id,
    facility: region.facilities[facility].id,
    appointment_type: 'consultation',
    reason,
    start_time: new Date(start).toISOString(),
    end_time: new Date(start + 30 * MINUTE).toISOString(),
  };
}

async function book(server: ClinicServer, token: string, body: unknown): Promise<string> {
  const res = await server.api('POST', '/api/v1/appointments/', body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** Every notification row of one appointment on central (admin API), oldest first. */
async function centralRows(appointmentId: string): Promise<NotificationRow[]> {
  const res = await central.api(
    'GET',
    `/api/v1/notifications/?appointment=${appointmentId}&page_size=100`,
    undefined,
    await central.adminToken(),
  );
  if (res.status !== 200)
    throw new Error(`notifications: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.results as NotificationRow[];
}

/** Waits until central shows the appointment's email rows all in `status`, and returns them. */
function emailRowsIn(
  appointmentId: string,
  status: NotificationRow['status'],
  count: number,
  timeoutMs = 20_000,
): Promise<NotificationRow[]> {
  return waitUntil(
    async () => {
      const rows = (await centralRows(appointmentId)).filter(
        (r) => r.method === 'email' && r.event === 'created',
      );
      if (rows.length !== count || !rows.every((r) => r.status === status)) {
        throw new Error(JSON.stringify(rows));
      }
      return rows;
    },
    { timeoutMs, message: `the ${count} email rows of ${appointmentId} never became ${status}` },
  );
}

/** Waits until `reason` has brought exactly one mail to each address in `to`. */
async function oneMailEach(reason: string, to: string[], timeoutMs = 20_000) {
  return waitUntil(
    () => {
      const got = byRecipient(mailsWith(reason));
      return to.every((a) => (got.get(a)?.length ?? 0) >= 1) ? got : undefined;
    },
    {
      timeoutMs,
      intervalMs: 100,
      message: `mails for "${reason}" to ${to.join(', ')} never all arrived`,
    },
  );
}

/** Asserts that `reason` brought exactly one mail to each of `to` and to nobody else. */
function expectExactlyOneEach(reason: string, to: string[]): Map<string, SinkMessage[]> {
  const mails = mailsWith(reason);
  const got = byRecipient(mails);
  expect([...got.keys()].sort(), describeMails(mails)).toEqual([...to].sort());
  for (const address of to) {
    expect(got.get(address)!.length, describeMails(mails)).toBe(1);
  }
  expect(new Set(mails.map((m) => m.messageId)).size).toBe(to.length);
  return got;
}

/** The appointment's detail; throws unless 200. */
async function detail(server: ClinicServer, token: string, id: string) {
  const res: ApiResponse = await server.api('GET', `/api/v1/appointments/${id}/`, undefined, token);
  if (res.status !== 200) throw new Error(`GET appointment: HTTP ${res.status}`);
  return res.body as {
    notifications_sent: Array<Record<string, unknown>>;
  } & Record<string, unknown>;
}

/** The email entries of `notifications_sent`, sorted by recipient. */
function sentEmails(body: { notifications_sent: Array<Record<string, unknown>> }) {
  return body.notifications_sent
    .filter((n) => n.method === 'email')
    .sort((a, b) => String(a.recipient).localeCompare(String(b.recipient)));
}

function loginWhenSynced(edge: EdgeServer, region: Region): Promise<string> {
  return waitUntil(
    async () => {
      const res = await edge.api('POST', '/api/v1/auth/token/', {
        username: region.provider.username,
        password: region.provider.password,
      });
      return res.status === 200 ? (res.body.access as string) : undefined;
    },
    { timeoutMs: 60_000, message: 'the provider never arrived on the node' },
  );
}

/** Pushes and pulls until the node has nothing left to push. */
function drained(edge: EdgeServer, token: string) {
  return waitUntil(
    async () => {
      const run = await edge.syncRun(token);
      const s = await edge.syncStatus(token);
      return run.status === 200 && s.body.pending_mutations === 0 ? s.body : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 300, message: 'the node never drained its outbox' },
  );
}

/** Date and time of `ms` as a wall clock in `timeZone` shows them (independent of the app). */
function wallClock(ms: number, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return {
    dayMonth: `${parts.day} ${parts.month}`,
    year: String(parts.year),
    time: `${parts.hour}:${parts.minute}`,
  };
}

/** Days ahead at 21:30 UTC: 00:30 of the NEXT day in Nairobi, so a UTC rendering shows. */
function lateEveningUtc(daysAhead: number): number {
  const d = new Date(Date.now() + daysAhead * 24 * HOUR);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 21, 30);
}

async function startNode(region: Region, name: string, extraArgs: string[] = []) {
  const node = await enrollNode(central, {
    name,
    facilities: region.facilities.map((f) => f.id),
  });
  const edge = await cluster.startEdge({ central, token: node.token, extraArgs, env: RETRY_ENV });
  const token = await loginWhenSynced(edge, region);
  // Users arrive before patients: one full cycle more brings everything.
  await drained(edge, token);
  return { edge, region, token, nodeId: node.id };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  webhook = await startFakeWebhook({ token: WEBHOOK_TOKEN });
  central = await cluster.startCentral({
    extraArgs: [
      '--smtp-url',
      sink.url,
      '--mail-from',
      CENTRAL_FROM,
      '--sms-gateway',
      `webhook:${webhook.url}`,
      '--reminder-hours',
      String(REMINDER_HOURS),
    ],
    env: CENTRAL_ENV,
  });
  const [relayRegion, ownRegion] = [await seedRegion(central), await seedRegion(central)];
  [relay, own] = await Promise.all([
    startNode(relayRegion, 'relaying clinic'),
    startNode(ownRegion, 'clinic with its own SMTP', [
      '--smtp-url',
      sink.url,
      '--mail-from',
      NODE_FROM,
      '--admin-user',
      NODE_ADMIN.username,
      '--admin-password',
      NODE_ADMIN.password,
    ]),
  ]);
}, 90_000);

afterAll(async () => {
  await cluster.stopAll();
  await Promise.allSettled([sink?.stop(), webhook?.close()]);
});

describe.sequential('notification delivery with real processes', () => {
  it('booked on central: one mail to the patient and one to the provider, in the facility time zone, listed on central and on the node', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const { region } = relay;
    const to = addressesOf(region);
    const reason = uniqueReason('Antenatal');
    const start = lateEveningUtc(4);
    const id = await book(central, await central.adminToken(), booking(region, start, reason));

    await oneMailEach(reason, [to.patient, to.provider]);
    const rows = await emailRowsIn(id, 'sent', 2);
    const got = expectExactlyOneEach(reason, [to.patient, to.provider]);

    // Africa/Nairobi: 21:30 UTC is 00:30 of the next day there.
    const local = wallClock(start, 'Africa/Nairobi');
    const utc = wallClock(start, 'UTC');
    expect(local.dayMonth).not.toBe(utc.dayMonth);
    for (const address of [to.patient, to.provider]) {
      const mail = got.get(address)![0]!;
      expect(mail.subject).toMatch(/book/i);
      expect(mail.subject).toContain(local.dayMonth);
      expect(mail.subject).toContain(local.year);
      expect(mail.text).toContain('00:30');
      expect(mail.text).not.toContain('21:30');
      expect(mail.text).toContain(region.facilities[0].name);
      expect(mail.html).toContain('00:30');
      expect(mail.from).toBe(CENTRAL_FROM);
      expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@hope-central\.example>$/);
    }
    // The admin view: delivered by central, address masked.
    for (const row of rows) {
      expect(row.delivered_by).toBe('central');
      expect(row.sent_at).not.toBeNull();
      expect(row.address).not.toBe(row.recipient === 'patient' ? to.patient : to.provider);
      expect(row.address).toMatch(/^\S\*+@example\.org$/);
    }

    // notifications_sent on central, in the spec's shape.
    const onCentral = sentEmails(await detail(central, await central.adminToken(), id));
    expect(onCentral).toEqual([
      {
        type: 'email',
        recipient: 'patient',
        method: 'email',
        event: 'created',
        sent_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      },
      {
        type: 'email',
        recipient: 'provider',
        method: 'email',
        event: 'created',
        sent_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      },
    ]);

    // The same list reaches the node with its next pull.
    const onNode = await waitUntil(
      async () => {
        await relay.edge.syncRun(relay.token);
        const list = sentEmails(await detail(relay.edge, relay.token, id));
        return list.length === 2 ? list : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, message: 'notifications_sent never reached the node' },
    );
    expect(onNode).toEqual(onCentral);
  }, 60_000);

  it('booked on central: both SMS go through the webhook, one segment each, with an Idempotency-Key', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const facility = region.facilities[0].name;
    const start = lateEveningUtc(5);
    const id = await book(
      central,
      await central.adminToken(),
      booking(region, start, uniqueReason('SMS')),
    );

    const sms = await waitUntil(
      () => {
        const mine = webhook.messages.filter((m) => m.text.includes(facility));
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the two SMS never reached the webhook' },
    );
    expect(sms.map((m) => m.to).sort()).toEqual(['+254700000001', '+254700000101']);
    for (const m of sms) {
      expect(m.text.length).toBeLessThanOrEqual(160);
      expect(m.text).toContain('00:30');
      expect(m.idempotencyKey).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(sms.map((m) => m.idempotencyKey)).size).toBe(2);

    const sentSms = await waitUntil(
      async () => {
        const body = await detail(central, await central.adminToken(), id);
        const list = body.notifications_sent.filter((n) => n.method === 'sms');
        return list.length === 2 ? list : undefined;
      },
      { timeoutMs: 10_000, message: 'notifications_sent never listed the SMS' },
    );
    expect(sentSms.map((n) => [n.type, n.recipient]).sort()).toEqual([
      ['sms', 'patient'],
      ['sms', 'provider'],
    ]);
    // Nothing was sent twice.
    expect(webhook.messages.filter((m) => m.text.includes(facility))).toHaveLength(2);
  }, 40_000);

  it('booked on a cut-off node without a transport: nothing until it reconnects, then each mail exactly once', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const { edge, region, token } = relay;
    const to = addressesOf(region);
    const reason = uniqueReason('Offline');
    edge.proxy.cut();
    try {
      const id = await book(edge, token, booking(region, lateEveningUtc(6), reason));
      expect((await edge.syncRun(token)).status).toBe(503);
      // The node cannot send: nothing delivered, nothing listed as sent.
      await sleep(2 * SECOND);
      expect(mailsWith(reason)).toEqual([]);
      expect((await detail(edge, token, id)).notifications_sent).toEqual([]);
      expect((await edge.syncStatus(token)).body.pending_mutations).toBeGreaterThan(0);

      edge.proxy.heal();
      // Not waiting for the next background cycle (every 15 s while offline).
      await drained(edge, token);
      await oneMailEach(reason, [to.patient, to.provider]);
      const rows = await emailRowsIn(id, 'sent', 2);
      for (const row of rows) expect(row.delivered_by).toBe('central');
      // What central delivered for the node comes back to it with the next pull.
      const onNode = await waitUntil(
        async () => {
          await edge.syncRun(token);
          const list = sentEmails(await detail(edge, token, id));
          return list.length === 2 ? list : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 300, message: 'the node never learnt of the deliveries' },
      );
      expect(onNode.map((n) => [n.recipient, n.event])).toEqual([
        ['patient', 'created'],
        ['provider', 'created'],
      ]);

      // Replays of the push (another forced cycle) and a pause send nothing more.
      expect((await edge.syncRun(token)).status).toBe(200);
      await sleep(1.5 * SECOND);
      const got = expectExactlyOneEach(reason, [to.patient, to.provider]);
      for (const [, [mail]] of got) {
        expect(mail!.from).toBe(CENTRAL_FROM);
        expect(mail!.messageId).toMatch(/@hope-central\.example>$/);
      }
    } finally {
      edge.proxy.heal();
    }
  }, 60_000);

  it('a cut-off node with its own SMTP delivers at once, and central never sends them again', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const { edge, region, token, nodeId } = own;
    const to = addressesOf(region);
    const reason = uniqueReason('Direct');
    edge.proxy.cut();
    let id: string;
    try {
      id = await book(edge, token, booking(region, lateEveningUtc(6), reason));
      // Delivered while central is unreachable: the node sent them itself.
      await oneMailEach(reason, [to.patient, to.provider], 15_000);
      expect(edge.proxy.isCut).toBe(true);
      for (const mail of mailsWith(reason)) {
        expect(mail.from).toBe(NODE_FROM);
        expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@own-clinic\.example>$/);
      }
      const onNode = await waitUntil(
        async () => {
          const list = sentEmails(await detail(edge, token, id));
          return list.length === 2 ? list : undefined;
        },
        { timeoutMs: 10_000, message: 'the node never listed its own deliveries' },
      );
      expect(onNode.map((n) => n.recipient)).toEqual(['patient', 'provider']);
    } finally {
      edge.proxy.heal();
    }

    await drained(edge, token);
    // Central learns the rows and their delivery from the node, and does not deliver them.
    const rows = await emailRowsIn(id, 'sent', 2, 30_000);
    for (const row of rows) expect(row.delivered_by).toBe(nodeId);
    expect((await edge.syncRun(token)).status).toBe(200);
    await sleep(1.5 * SECOND);
    expectExactlyOneEach(reason, [to.patient, to.provider]);
    expect(mailsWith(reason).every((m) => m.from === NODE_FROM)).toBe(true);
  }, 60_000);

  it('moved, then deleted: one "changed" and one "cancelled" mail each, with the new time; reminders follow the slot', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const to = addressesOf(region);
    const admin = await central.adminToken();
    const reason = uniqueReason('Moved');
    const start = lateEveningUtc(10);
    const id = await book(central, admin, booking(region, start, reason));
    await oneMailEach(reason, [to.patient, to.provider]);
    const firstReminders = (await centralRows(id)).filter((r) => r.event === 'reminder');
    expect(firstReminders.length).toBeGreaterThanOrEqual(2);

    const moved = start + HOUR;
    const patch = await central.api(
      'PATCH',
      `/api/v1/appointments/${id}/`,
      {
        start_time: new Date(moved).toISOString(),
        end_time: new Date(moved + 30 * MINUTE).toISOString(),
      },
      admin,
    );
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    const changed = await waitUntil(
      () => {
        const mine = mailsWith(reason).filter((m) => /chang|updat|moved/i.test(m.subject));
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the "changed" mails never came' },
    );
    const newLocal = wallClock(moved, 'Africa/Nairobi');
    for (const m of changed) {
      expect(m.text).toContain(newLocal.time);
      expect(m.subject).toContain(newLocal.dayMonth);
    }
    // The old reminders are dropped; new ones wait for the new start.
    const afterMove = (await centralRows(id)).filter((r) => r.event === 'reminder');
    for (const old of firstReminders) {
      expect(afterMove.find((r) => r.id === old.id)?.status).toBe('dropped');
    }
    const fresh = afterMove.filter((r) => r.status === 'pending');
    expect(fresh.length).toBe(firstReminders.length);
    for (const r of fresh) {
      expect(Math.abs(Date.parse(r.next_attempt_at) - (moved - REMINDER_LEAD_MS))).toBeLessThan(
        1_000,
      );
    }

    const del = await central.api('DELETE', `/api/v1/appointments/${id}/`, undefined, admin);
    expect(del.status).toBe(204);
    await waitUntil(() => mailsWith(reason).filter((m) => /cancel/i.test(m.subject)).length >= 2, {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'the cancellation mails never came',
    });
    const rows = await waitUntil(
      async () => {
        const all = await centralRows(id);
        return all
          .filter((r) => r.method === 'email' && r.event !== 'reminder')
          .every((r) => r.status === 'sent')
          ? all
          : undefined;
      },
      { timeoutMs: 10_000, message: 'the event mails were not all recorded as sent' },
    );
    expect(rows.filter((r) => r.event === 'reminder' && r.status === 'pending')).toEqual([]);
    await sleep(1 * SECOND);
    const mails = mailsWith(reason);
    // created, updated, cancelled: one each per recipient, each its own Message-ID.
    expect(mails).toHaveLength(6);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(6);
    for (const address of [to.patient, to.provider]) {
      const subjects = mails.filter((m) => m.to === address).map((m) => m.subject);
      expect(subjects.filter((x) => /book/i.test(x))).toHaveLength(1);
      expect(subjects.filter((x) => /chang|updat|moved/i.test(x))).toHaveLength(1);
      expect(subjects.filter((x) => /cancel/i.test(x))).toHaveLength(1);
    }
  }, 60_000);

  it('a late conflict found on central: one mail to each admin and to the providers of both bookings', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const { edge, region, token } = relay;
    const admin = await central.adminToken();
    const tag = randomBytes(4).toString('hex');
    const create = async (body: Record<string, unknown>) => {
      const res = await central.api('POST', '/api/v1/users/', body, admin);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { id: string; email: string };
    };
    const watcher = await create({
      username: `watch.${tag}`,
      password: `watch-${tag}-password`,
      role: 'admin',
      user_type: 'admin',
      first_name: 'Regional',
      last_name: 'Admin',
      email: `admin.${tag}@example.org`,
      is_active: true,
    });
    const other = await create({
      username: `nurse.${tag}`,
      password: `nurse-${tag}-password`,
      role: 'provider',
      user_type: 'nurse',
      first_name: 'Joseph',
      last_name: 'Nurse',
      email: `nurse.${tag}@example.org`,
      facilities: [region.facilities[1].id],
      is_active: true,
    });
    const to = addressesOf(region);
    const start = lateEveningUtc(12);
    const edgeReason = uniqueReason('Clash node');
    const centralReason = uniqueReason('Clash central');
    edge.proxy.cut();
    let edgeId: string;
    try {
      // The same patient, with two providers at the same time: one on the node, one on central.
      edgeId = await book(edge, token, booking(region, start, edgeReason, 0));
    } finally {
      edge.proxy.heal();
    }
    const centralBody = {
      ...booking(region, start + 10 * MINUTE, centralReason, 1),
      patient: region.patients[0].id,
      provider: other.id,
    };
    const centralId = await book(central, admin, centralBody);
    await drained(edge, token);

    const conflictRows = await waitUntil(
      async () => {
        const rows = [...(await centralRows(edgeId)), ...(await centralRows(centralId))].filter(
          (r) => r.event === 'conflict' && r.method === 'email',
        );
        return rows.length > 0 && rows.every((r) => r.status === 'sent') ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, message: 'no conflict notification was sent' },
    );
    expect(conflictRows.every((r) => r.conflict !== null)).toBe(true);
    const recipients = [watcher.email, to.provider, other.email];
    const notices = await waitUntil(
      () => {
        const mine = sink.messages.filter(
          (m) => recipients.includes(m.to) && /conflict/i.test(m.subject),
        );
        return recipients.every((a) => mine.some((m) => m.to === a)) ? mine : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the conflict mails never all came' },
    );
    await sleep(1 * SECOND);
    const all = sink.messages.filter(
      (m) => /conflict/i.test(m.subject) && recipients.includes(m.to),
    );
    expect(all.length, describeMails(all)).toBe(3);
    expect(new Set(notices.map((m) => m.to)).size).toBe(3);
    // The patient is not told of a conflict by mail.
    expect(sink.messages.filter((m) => m.to === to.patient && /conflict/i.test(m.subject))).toEqual(
      [],
    );
  }, 60_000);

  it('SMTP server down at booking time: retried with backoff, delivered once when it is back', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const to = addressesOf(region);
    const reason = uniqueReason('Outage');
    await sink.stop();
    let id: string;
    try {
      id = await book(
        central,
        await central.adminToken(),
        booking(region, lateEveningUtc(7), reason),
      );
      // At least one retry has failed too, and it is still queued (not dead-lettered).
      const failing = await waitUntil(
        async () => {
          const rows = (await centralRows(id)).filter(
            (r) => r.method === 'email' && r.event === 'created',
          );
          return rows.length === 2 && rows.every((r) => r.attempts >= 2 && r.status === 'pending')
            ? rows
            : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, message: 'the mails were not retried' },
      );
      for (const row of failing) expect(row.last_error).toBeTruthy();
      expect(mailsWith(reason)).toEqual([]);
    } finally {
      await sink.start();
    }

    await oneMailEach(reason, [to.patient, to.provider], 20_000);
    const rows = await emailRowsIn(id, 'sent', 2);
    for (const row of rows) {
      expect(row.attempts).toBeGreaterThan(1);
      expect(row.last_error).toBeNull();
    }
    await sleep(1.5 * SECOND);
    expectExactlyOneEach(reason, [to.patient, to.provider]);
  }, 60_000);

  it('550 from the SMTP server: dead letter for admins, retry delivers it; retrying anything else is a 400', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const to = addressesOf(region);
    const reason = uniqueReason('Refused');
    const admin = await central.adminToken();
    sink.setFailure('5xx');
    let failed: NotificationRow[];
    try {
      const id = await book(central, admin, booking(region, lateEveningUtc(8), reason));
      failed = await waitUntil(
        async () => {
          const res = await central.api(
            'GET',
            `/api/v1/notifications/?status=failed&appointment=${id}`,
            undefined,
            admin,
          );
          expect(res.status).toBe(200);
          const rows = res.body.results as NotificationRow[];
          return rows.length === 2 ? rows : undefined;
        },
        {
          timeoutMs: 15_000,
          intervalMs: 100,
          message: 'the refused mails never reached the dead letter',
        },
      );
      for (const row of failed) {
        expect(row).toMatchObject({ appointment: id, method: 'email', status: 'failed' });
        // A 550 is permanent: no second attempt.
        expect(row.attempts).toBe(1);
        expect(row.last_error).toMatch(/550/);
        // The error text is the server's words, without the address.
        expect(row.last_error).not.toContain(to.patient);
        expect(row.last_error).not.toContain(to.provider);
      }
      // Without ?appointment the dead letter lists them too (paginated).
      const all = await central.api(
        'GET',
        '/api/v1/notifications/?status=failed&page_size=100',
        undefined,
        admin,
      );
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ count: expect.any(Number), results: expect.any(Array) });
      const ids = (all.body.results as NotificationRow[]).map((r) => r.id);
      for (const row of failed) expect(ids).toContain(row.id);
      // Only delivered notifications are listed on the appointment.
      expect(sentEmails(await detail(central, admin, id))).toEqual([]);

      // The dead letter is for admins.
      const provider = await central.login(region.provider.username, region.provider.password);
      const forbidden = await central.api(
        'GET',
        '/api/v1/notifications/?status=failed',
        undefined,
        provider,
      );
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toEqual({ detail: expect.any(String) });
      expect(
        (await central.api('POST', `/api/v1/notifications/${failed[0]!.id}/retry/`, {}, provider))
          .status,
      ).toBe(403);

      // Retrying one that did not fail (a delivered SMS) is a 400 in the spec's error shape.
      const sms = await waitUntil(
        async () => (await centralRows(id)).find((r) => r.method === 'sms' && r.status === 'sent'),
        { timeoutMs: 10_000, message: 'the SMS of the refused booking was never sent' },
      );
      const notFailed = await central.api(
        'POST',
        `/api/v1/notifications/${sms.id}/retry/`,
        {},
        admin,
      );
      expect(notFailed.status).toBe(400);
      expect(notFailed.body).toEqual(expect.any(Object));
      const fields = Object.entries(notFailed.body as Record<string, unknown>);
      expect(fields.length).toBeGreaterThan(0);
      for (const [, messages] of fields) {
        expect(messages).toEqual([expect.any(String)]);
      }
    } finally {
      sink.setFailure('none');
    }

    for (const row of failed) {
      const res = await central.api('POST', `/api/v1/notifications/${row.id}/retry/`, {}, admin);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        id: row.id,
        status: expect.stringMatching(/^(pending|sending|sent)$/),
      });
    }
    await oneMailEach(reason, [to.patient, to.provider], 20_000);
    const rows = await emailRowsIn(failed[0]!.appointment, 'sent', 2);
    expect(rows.map((r) => r.id).sort()).toEqual(failed.map((r) => r.id).sort());
    // A second retry of a row that is sent now is refused.
    expect(
      (await central.api('POST', `/api/v1/notifications/${rows[0]!.id}/retry/`, {}, admin)).status,
    ).toBe(400);
    await sleep(1 * SECOND);
    expectExactlyOneEach(reason, [to.patient, to.provider]);
  }, 60_000);

  it('a node that delivers its own mail keeps its dead letter: central refuses to retry it, the node retries it', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const { edge, region, token, nodeId } = own;
    const to = addressesOf(region);
    const reason = uniqueReason('Node refused');
    const nodeAdmin = await edge.login(NODE_ADMIN.username, NODE_ADMIN.password);
    const failedOnNode = (id: string) =>
      waitUntil(
        async () => {
          const res = await edge.api(
            'GET',
            `/api/v1/notifications/?status=failed&appointment=${id}`,
            undefined,
            nodeAdmin,
          );
          expect(res.status).toBe(200);
          const rows = res.body.results as NotificationRow[];
          return rows.length === 2 ? rows : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, message: 'the node never dead-lettered its mails' },
      );
    sink.setFailure('5xx');
    let id: string;
    let failed: NotificationRow[];
    try {
      id = await book(edge, token, booking(region, lateEveningUtc(14), reason));
      failed = await failedOnNode(id);
      for (const row of failed) expect(row.delivered_by).toBe(nodeId);

      // Central learns of them through sync, but the node delivers them: retry is refused.
      await drained(edge, token);
      const onCentral = await waitUntil(
        async () => {
          const rows = (await centralRows(id)).filter(
            (r) => r.method === 'email' && r.event === 'created' && r.status === 'failed',
          );
          return rows.length === 2 ? rows : undefined;
        },
        { timeoutMs: 15_000, message: "central never showed the node's dead letter" },
      );
      const refused = await central.api(
        'POST',
        `/api/v1/notifications/${onCentral[0]!.id}/retry/`,
        {},
        await central.adminToken(),
      );
      expect(refused.status).toBe(400);
      const fields = Object.values(refused.body as Record<string, unknown>);
      expect(fields.length).toBeGreaterThan(0);
      for (const messages of fields) expect(messages).toEqual([expect.any(String)]);
    } finally {
      sink.setFailure('none');
    }
    expect(mailsWith(reason)).toEqual([]);

    for (const row of failed) {
      const res = await edge.api('POST', `/api/v1/notifications/${row.id}/retry/`, {}, nodeAdmin);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await oneMailEach(reason, [to.patient, to.provider]);
    await drained(edge, token);
    await emailRowsIn(id, 'sent', 2, 20_000);
    await sleep(1 * SECOND);
    expectExactlyOneEach(reason, [to.patient, to.provider]);
    expect(mailsWith(reason).every((m) => m.from === NODE_FROM)).toBe(true);
  }, 60_000);

  it('reminders: sent before the start; a cancelled booking never gets its reminder (dropped)', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const to = addressesOf(region);
    const admin = await central.adminToken();
    const cancelledReason = uniqueReason('Cancelled');
    const keptReason = uniqueReason('Reminded');

    // The cancelled one starts first, so its reminder would be due before the kept one's.
    const cancelledStart = Date.now() + 15 * SECOND;
    const cancelledId = await book(
      central,
      admin,
      booking(region, cancelledStart, cancelledReason, 1),
    );
    const cancel = await central.api(
      'POST',
      `/api/v1/appointments/${cancelledId}/cancel/`,
      {},
      admin,
    );
    expect(cancel.status).toBe(200);
    const keptStart = cancelledStart + SECOND;
    const keptId = await book(central, admin, booking(region, keptStart, keptReason, 0));

    // The kept booking has its reminders queued, due the lead time before its start.
    const queued = (await centralRows(keptId)).filter((r) => r.event === 'reminder');
    expect(queued.length).toBeGreaterThanOrEqual(2);
    for (const r of queued) {
      expect(Date.parse(r.next_attempt_at)).toBeGreaterThanOrEqual(
        keptStart - REMINDER_LEAD_MS - 1_000,
      );
      expect(Date.parse(r.next_attempt_at)).toBeLessThanOrEqual(
        keptStart - REMINDER_LEAD_MS + 1_000,
      );
    }

    const reminders = await waitUntil(
      () => {
        const mine = mailsWith(keptReason).filter((m) => /remind/i.test(m.subject));
        return mine.length >= 2 ? mine : undefined;
      },
      {
        timeoutMs: keptStart - Date.now() + 5 * SECOND,
        intervalMs: 100,
        message: 'the reminders never came',
      },
    );
    expect(reminders.map((m) => m.to).sort()).toEqual([to.patient, to.provider].sort());
    for (const m of reminders) expect(m.receivedAt).toBeLessThan(keptStart);

    // The cancelled booking: its cancellation went out, its reminder (due earlier) never did.
    await oneMailEach(cancelledReason, [addressesOf(region, 1).patient, to.provider]);
    const cancelledMails = mailsWith(cancelledReason);
    expect(cancelledMails.filter((m) => /remind/i.test(m.subject))).toEqual([]);
    expect(cancelledMails.filter((m) => /cancel/i.test(m.subject)).length).toBe(2);
    const dropped = (await centralRows(cancelledId)).filter((r) => r.event === 'reminder');
    expect(dropped.length).toBeGreaterThanOrEqual(2);
    for (const r of dropped) {
      expect(r.status).toBe('dropped');
      expect(r.sent_at).toBeNull();
    }
    const droppedList = await central.api(
      'GET',
      `/api/v1/notifications/?status=dropped&appointment=${cancelledId}`,
      undefined,
      admin,
    );
    expect(droppedList.body.count).toBe(dropped.length);
    // The kept one's reminders were sent once each.
    const sentReminders = (await centralRows(keptId)).filter(
      (r) => r.event === 'reminder' && r.method === 'email',
    );
    expect(sentReminders.map((r) => r.status)).toEqual(['sent', 'sent']);
  }, 60_000);

  it('a node with its own SMTP killed between the acceptance and the record: resent under the same Message-ID after its restart', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const { edge, region, token, nodeId } = own;
    const to = addressesOf(region);
    const reason = uniqueReason('Node crash');
    let killedFor: SinkMessage | undefined;
    sink.onMessage = async (message) => {
      if (killedFor || !message.text.includes(reason)) return;
      killedFor = message;
      await edge.kill();
    };
    let id: string;
    try {
      id = await book(edge, token, booking(region, lateEveningUtc(16), reason));
      await waitUntil(() => !edge.running, {
        timeoutMs: 20_000,
        intervalMs: 100,
        message: 'the node was never killed by the sink',
      });
    } finally {
      sink.onMessage = undefined;
    }
    const victim = killedFor!;
    expect(victim).toBeDefined();

    await cluster.restartEdge(edge, { env: RETRY_ENV });
    await waitUntil(() => mailsWith(reason).filter((m) => m.to === victim.to).length >= 2, {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'the interrupted mail was never sent again',
    });
    await oneMailEach(reason, [to.patient, to.provider]);
    await drained(edge, token);
    const rows = await emailRowsIn(id, 'sent', 2, 20_000);
    for (const row of rows) expect(row.delivered_by).toBe(nodeId);
    await sleep(1.5 * SECOND);

    const got = byRecipient(mailsWith(reason));
    expect([...got.keys()].sort()).toEqual([to.patient, to.provider].sort());
    for (const [address, list] of got) {
      expect(new Set(list.map((m) => m.messageId)).size, `${address}: ${describeMails(list)}`).toBe(
        1,
      );
      expect(list.every((m) => m.from === NODE_FROM)).toBe(true);
    }
    expect(got.get(victim.to)!.map((m) => m.messageId)).toEqual([
      victim.messageId,
      victim.messageId,
    ]);
    const listed = sentEmails(await detail(edge, token, id));
    expect(listed.map((n) => n.recipient)).toEqual(['patient', 'provider']);
  }, 60_000);

  it('a crash between the SMTP acceptance and the record: resent under the same Message-ID, then never again', async () => {
    onTestFailed(() => console.log(cluster.logs()));
    const region = await seedRegion(central);
    const to = addressesOf(region);
    const reason = uniqueReason('Crash');
    let killedFor: SinkMessage | undefined;
    sink.onMessage = async (message) => {
      if (killedFor || !message.text.includes(reason)) return;
      killedFor = message;
      // Central has handed the whole message over and waits for the 250: kill it now.
      await central.kill();
    };
    let id: string;
    try {
      id = await book(
        central,
        await central.adminToken(),
        booking(region, lateEveningUtc(9), reason),
      );
      await waitUntil(() => !central.running, {
        timeoutMs: 20_000,
        intervalMs: 100,
        message: 'central was never killed by the sink',
      });
    } finally {
      sink.onMessage = undefined;
    }
    expect(killedFor).toBeDefined();
    const victim = killedFor!;

    await central.restart({ env: CENTRAL_ENV });
    // The interrupted mail is sent again, under the same Message-ID.
    await waitUntil(() => mailsWith(reason).filter((m) => m.to === victim.to).length >= 2, {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'the interrupted mail was never sent again',
    });
    await oneMailEach(reason, [to.patient, to.provider]);
    await emailRowsIn(id, 'sent', 2, 30_000);
    await sleep(1.5 * SECOND);

    const mails = mailsWith(reason);
    const got = byRecipient(mails);
    expect([...got.keys()].sort()).toEqual([to.patient, to.provider].sort());
    for (const [address, list] of got) {
      // One Message-ID per recipient, however many times it went out.
      expect(new Set(list.map((m) => m.messageId)).size, `${address}: ${describeMails(list)}`).toBe(
        1,
      );
    }
    const resent = got.get(victim.to)!;
    expect(resent.every((m) => m.messageId === victim.messageId)).toBe(true);
    // The crash window costs at most one copy: sent, crashed, sent again and recorded.
    expect(resent.length).toBe(2);
    // The other recipient's copies can only come from the same window (in flight at the kill).
    expect(
      got.get(victim.to === to.patient ? to.provider : to.patient)!.length,
    ).toBeLessThanOrEqual(2);

    const listed = sentEmails(await detail(central, await central.adminToken(), id));
    expect(listed.map((n) => n.recipient)).toEqual(['patient', 'provider']);
  }, 90_000);
});
