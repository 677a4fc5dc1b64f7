/**
 * The notification queue in-process, on a real SQLite file: which rows each appointment
 * event queues (in the transaction of the change), who delivers them, how reminders follow
 * the appointment, and how the dispatcher moves rows through pending -> sending -> sent /
 * retry / dead letter, with a manual clock. The transports here are recording stand-ins
 * for the outside world (SMTP and SMS have their own tests against real servers).
 */
import { silentLogger } from '@clinic/api';
import type { WriteHooks } from '@clinic/core';
import { CENTRAL_OWNER, type Notification } from '@clinic/domain';
import {
  TransportError,
  messageIdFor,
  type EmailMessage,
  type EmailTransport,
  type SmsMessage,
  type SmsTransport,
} from '@clinic/notify';
import { createNodeRuntime, type NodeRuntime, type NotifyOptions } from '@clinic/server';
import { createOutboxStore, openSqliteStore, type SqliteStore } from '@clinic/store-sqlite';
import { outboxHooks, type NotificationsPutArgs } from '@clinic/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../support/manual-clock';
import { makeTempDir, type TempDir } from '../support/tmp-dir';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let dir: TempDir | undefined;
let store: SqliteStore | undefined;
let runtime: NodeRuntime | undefined;

afterEach(async () => {
  await runtime?.dispatcher.stop();
  await store?.close();
  await dir?.cleanup();
  runtime = undefined;
  store = undefined;
  dir = undefined;
});

/** A transport that records what it was given and fails while `failing` says so. */
class Recorder implements EmailTransport, SmsTransport {
  readonly name = 'recorder';
  sent: (EmailMessage | SmsMessage)[] = [];
  failing: TransportError | undefined;
  async send(message: EmailMessage | SmsMessage) {
    if (this.failing) throw this.failing;
    this.sent.push(message);
    return {};
  }
  async close() {}
}

interface World {
  rt: NodeRuntime;
  clock: ManualClock;
  store: SqliteStore;
  book(startIn?: number): Promise<string>;
  rows(appointmentId: string): Promise<Notification[]>;
}

async function world(
  role: 'edge' | 'central',
  notify: Partial<NotifyOptions> = {},
  hooks?: () => WriteHooks,
): Promise<World> {
  dir = await makeTempDir('clinic-notify');
  store = openSqliteStore({ file: `${dir.path}/clinic.db` });
  const clock = manualClock(Date.UTC(2026, 0, 5, 8));
  const rt = await createNodeRuntime({
    role,
    store,
    dataDir: dir.path,
    logger: silentLogger(),
    version: 'test',
    clock,
    ...(hooks && { hooks }),
    notify: { mailFrom: 'clinic@example.org', ...notify },
  });
  runtime = rt;
  const facility = await rt.directory.facilities.create({
    name: 'Hope Clinic',
    timezone: 'Africa/Nairobi',
    capacity: 4,
    is_active: true,
  });
  const provider = await rt.directory.users.create({
    username: 'dr.amina',
    password_hash: 'x',
    role: 'provider',
    user_type: 'doctor',
    first_name: 'Amina',
    last_name: 'Odhiambo',
    email: 'amina@example.org',
    phone_number: '+254700000001',
    facilities: [facility.id],
    is_active: true,
  });
  const patient = await rt.directory.patients.create({
    patient_id: 'MRN-1',
    first_name: 'John',
    last_name: 'Doe',
    phone_number: '+254700000002',
    email: 'john@example.org',
    registered_facility: facility.id,
    is_active: true,
  });
  const s = store;
  return {
    rt,
    clock,
    store: s,
    async book(startIn = 3 * DAY) {
      const start = clock.now() + startIn;
      const booked = await rt.appointments.create(
        {
          patient: patient.id,
          provider: provider.id,
          facility: facility.id,
          appointment_type: 'consultation',
          reason: 'Routine checkup',
          start_time: start,
          end_time: start + HOUR / 2,
        },
        { userId: provider.id, role: 'provider' },
      );
      return booked.id;
    },
    async rows(appointmentId) {
      const page = await s.listNotifications({ appointment: appointmentId, limit: 100, offset: 0 });
      return page.rows;
    },
  };
}

const summary = (rows: Notification[]) =>
  rows.map((n) => `${n.event}/${n.recipient}/${n.channel}/${n.status}`).sort();

describe('queueing', () => {
  it('a booking queues created notices and reminders for both people on both channels', async () => {
    const w = await world('central');
    const id = await w.book();
    const rows = await w.rows(id);
    expect(summary(rows)).toEqual(
      [
        'created/patient/email/pending',
        'created/patient/sms/pending',
        'created/provider/email/pending',
        'created/provider/sms/pending',
        'reminder/patient/email/pending',
        'reminder/patient/sms/pending',
        'reminder/provider/email/pending',
        'reminder/provider/sms/pending',
      ].sort(),
    );
    const start = (await w.rt.appointments.get(id)).start_time;
    for (const r of rows.filter((n) => n.event === 'reminder')) {
      expect(r.next_attempt_at).toBe(start - DAY);
      expect(r.reminder_for).toBe(start);
    }
    expect(new Set(rows.map((r) => r.dedupe_key)).size).toBe(rows.length);
    expect(rows.every((r) => r.owner === CENTRAL_OWNER)).toBe(true);
  });

  it('a booking inside the reminder lead time gets no reminder', async () => {
    const w = await world('central');
    const rows = await w.rows(await w.book(2 * HOUR));
    expect(rows).toHaveLength(4);
    expect(rows.some((r) => r.event === 'reminder')).toBe(false);
  });

  it('a lead time of 0 queues no reminders at all', async () => {
    const w = await world('central', { reminderLeadMs: 0 });
    const rows = await w.rows(await w.book(5 * DAY));
    expect(summary(rows).filter((s) => s.startsWith('reminder'))).toEqual([]);
  });

  it('moving an appointment drops its reminders and queues new ones; cancelling drops them', async () => {
    const w = await world('central');
    const id = await w.book();
    const before = await w.rt.appointments.get(id);
    await w.rt.appointments.update(id, {
      start_time: before.start_time + HOUR,
      end_time: before.end_time + HOUR,
    });
    let rows = await w.rows(id);
    expect(rows.filter((r) => r.event === 'updated')).toHaveLength(4);
    const reminders = rows.filter((r) => r.event === 'reminder');
    expect(reminders.filter((r) => r.status === 'dropped')).toHaveLength(4);
    const live = reminders.filter((r) => r.status === 'pending');
    expect(live).toHaveLength(4);
    expect(live.every((r) => r.reminder_for === before.start_time + HOUR)).toBe(true);

    // A reason-only change is an update, but the reminders stay as they are.
    await w.rt.appointments.update(id, { reason: 'Follow-up' });
    rows = await w.rows(id);
    expect(rows.filter((r) => r.event === 'reminder' && r.status === 'pending')).toHaveLength(4);
    expect(rows.filter((r) => r.event === 'updated')).toHaveLength(8);

    await w.rt.appointments.transition(id, 'cancelled');
    rows = await w.rows(id);
    expect(rows.filter((r) => r.event === 'cancelled')).toHaveLength(4);
    expect(rows.filter((r) => r.event === 'reminder' && r.status === 'pending')).toHaveLength(0);
  });

  it('DELETE of a scheduled appointment queues cancellation notices', async () => {
    const w = await world('central');
    const id = await w.book();
    await w.rt.appointments.remove(id);
    const rows = await w.rows(id);
    expect(rows.filter((r) => r.event === 'cancelled')).toHaveLength(4);
    expect(rows.filter((r) => r.event === 'reminder' && r.status === 'pending')).toHaveLength(0);
  });

  it('a clinic node owns the channels it has a transport for and relays the rest', async () => {
    const w = await world('edge', { email: new Recorder() });
    const rows = await w.rows(await w.book());
    for (const r of rows) {
      expect(r.owner).toBe(r.channel === 'email' ? w.rt.nodeId : CENTRAL_OWNER);
    }
  });

  it('a refused booking queues nothing; a booking and its rows go to the outbox together', async () => {
    const w = await world('edge', {}, () => outboxHooks());
    const id = await w.book();
    const outbox = createOutboxStore(w.store);
    const pending = await outbox.pending(50);
    expect(pending.map((m) => m.kind)).toEqual([
      'patient.put',
      'appointment.put',
      'notifications.put',
    ]);
    const args = JSON.parse(pending[2]!.args) as NotificationsPutArgs;
    expect(args.rows).toHaveLength(8);
    expect(args.rows.every((r) => r.appointment_id === id && r.owner === CENTRAL_OWNER)).toBe(true);
    // The same slot again is refused: no row and no mutation of it stays behind.
    const appt = await w.rt.appointments.get(id);
    await expect(
      w.rt.appointments.create(
        {
          patient: appt.patient,
          provider: appt.provider,
          facility: appt.facility,
          appointment_type: 'consultation',
          reason: 'again',
          start_time: appt.start_time,
          end_time: appt.end_time,
        },
        { userId: appt.provider, role: 'provider' },
      ),
    ).rejects.toThrow();
    expect(await outbox.countPending()).toBe(3);
    expect((await w.store.listNotifications({ limit: 100, offset: 0 })).count).toBe(8);
  });
});

describe('the dispatcher', () => {
  it('delivers what is due with the key-derived Message-ID, and records it as sent', async () => {
    const email = new Recorder();
    const sms = new Recorder();
    const w = await world('central', { email, sms });
    const id = await w.book();
    expect(await w.rt.dispatcher.drain()).toBe(4);
    expect(email.sent).toHaveLength(2);
    expect(sms.sent).toHaveLength(2);
    const rows = await w.rows(id);
    const created = rows.filter((r) => r.event === 'created');
    expect(created.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    const ids = (email.sent as EmailMessage[]).map((m) => m.messageId).sort();
    expect(ids).toEqual(
      created
        .filter((r) => r.channel === 'email')
        .map((r) => messageIdFor(r.dedupe_key, 'clinic@example.org'))
        .sort(),
    );
    expect((await w.rt.appointments.get(id)).notifications_sent).toHaveLength(4);
    // Reminders wait for their time, then go once.
    expect(await w.rt.dispatcher.drain()).toBe(0);
    w.clock.advance(2 * DAY + 1);
    expect(await w.rt.dispatcher.drain()).toBe(4);
    expect(email.sent).toHaveLength(4);
    expect(await w.rt.dispatcher.drain()).toBe(0);
  });

  it('retries with backoff, dead-letters after the last attempt, and an admin retry sends it', async () => {
    const email = new Recorder();
    const w = await world('central', { email, policy: { maxAttempts: 3 } });
    const id = await w.book(2 * HOUR);
    email.failing = new TransportError('connect ECONNREFUSED');
    await w.rt.dispatcher.drain();
    let rows = (await w.rows(id)).filter((r) => r.channel === 'email');
    expect(rows.every((r) => r.status === 'pending' && r.attempts === 1)).toBe(true);
    const firstRetry = Math.max(...rows.map((r) => r.next_attempt_at)) - w.clock.now();
    expect(firstRetry).toBeGreaterThan(0);
    expect(firstRetry).toBeLessThanOrEqual(30_000);
    expect(rows[0]!.last_error).toContain('ECONNREFUSED');
    // Not due yet: nothing is claimed.
    expect(await w.rt.dispatcher.drain()).toBe(0);
    for (let i = 0; i < 2; i += 1) {
      w.clock.advance(10 * 60_000);
      await w.rt.dispatcher.drain();
    }
    rows = (await w.rows(id)).filter((r) => r.channel === 'email');
    expect(rows.every((r) => r.status === 'failed' && r.attempts === 3)).toBe(true);
    const dead = await w.rt.notifications.list({ status: 'failed', limit: 10, offset: 0 });
    expect(dead.count).toBe(2);

    email.failing = undefined;
    await w.rt.notifications.retry(rows[0]!.id);
    await expect(w.rt.notifications.retry(rows[0]!.id)).rejects.toMatchObject({
      details: { status: [expect.stringMatching(/Only failed/)] },
    });
    await w.rt.dispatcher.drain();
    expect(email.sent).toHaveLength(1);
    expect((await w.rt.notifications.get(rows[0]!.id)).status).toBe('sent');
  });

  it('a permanent refusal goes to the dead letter at once', async () => {
    const email = new Recorder();
    const w = await world('central', { email });
    const id = await w.book(2 * HOUR);
    email.failing = new TransportError('550 mailbox unavailable', true);
    await w.rt.dispatcher.drain();
    const rows = (await w.rows(id)).filter((r) => r.channel === 'email');
    expect(rows.every((r) => r.status === 'failed' && r.attempts === 1)).toBe(true);
  });

  it('drops a reminder whose appointment moved or was cancelled where another node owns it', async () => {
    const email = new Recorder();
    const w = await world('central', { email });
    const id = await w.book();
    await w.rt.dispatcher.drain();
    // Make the reminders look like another owner's copy: the drop in the transaction
    // skips them, so only the dispatch-time check can stop them.
    const reminders = (await w.rows(id)).filter((r) => r.event === 'reminder');
    await w.store.write(async (tx) => {
      for (const r of reminders) await tx.updateNotification({ ...r, owner: 'another-node' });
    });
    await w.rt.appointments.transition(id, 'cancelled');
    await w.store.write(async (tx) => {
      for (const r of reminders) {
        const now = await tx.getNotification(r.id);
        await tx.updateNotification({ ...now!, owner: CENTRAL_OWNER });
      }
    });
    const before = email.sent.length;
    w.clock.advance(3 * DAY);
    await w.rt.dispatcher.drain();
    const after = (await w.rows(id)).filter((r) => r.event === 'reminder' && r.channel === 'email');
    expect(after.map((r) => r.status)).toEqual(['dropped', 'dropped']);
    expect(after[0]!.last_error).toMatch(/cancelled/);
    // Only the cancellation notices went out.
    expect(email.sent.length - before).toBe(2);
    expect(
      (email.sent.slice(before) as EmailMessage[]).every((m) => /cancel/i.test(m.subject)),
    ).toBe(true);
  });

  it('after a crash mid-send, the claimed rows are sent again under the same Message-ID', async () => {
    const email = new Recorder();
    const w = await world('central', { email });
    const id = await w.book(2 * HOUR);
    // A dispatcher claimed them and died before recording anything.
    const claimed = await w.store.write((tx) =>
      tx.claimNotifications({
        owner: CENTRAL_OWNER,
        channels: ['email'],
        now: w.clock.now(),
        limit: 10,
      }),
    );
    expect(claimed).toHaveLength(2);
    expect(await w.rt.dispatcher.drain()).toBe(0); // still claimed: not due for anyone
    await w.rt.dispatcher.start(); // the next start releases the claims
    await w.rt.dispatcher.drain();
    await w.rt.dispatcher.stop();
    const rows = (await w.rows(id)).filter((r) => r.channel === 'email');
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 2)).toBe(true);
    expect((email.sent as EmailMessage[]).map((m) => m.messageId).sort()).toEqual(
      rows.map((r) => messageIdFor(r.dedupe_key, 'clinic@example.org')).sort(),
    );
  });
});
