/**
 * The dispatcher: delivers the notifications this node owns, from its durable queue.
 *
 * Each cycle claims due rows in one short transaction (pending -> sending, attempts + 1),
 * sends them (a few at a time), and records each outcome as soon as it is known (group
 * commit):
 * `sent`; back to `pending` with exponential backoff; `failed` (the dead letter) once the
 * attempts are used up or the transport says retrying cannot help; `dropped` for a
 * reminder whose appointment was cancelled or moved.
 *
 * Exactly once: a row is claimed by one dispatcher (one per node; the claim is atomic),
 * and recorded as sent right after the transport accepts it. A crash between the two
 * leaves it `sending`; the next start puts it back to `pending` and sends it again under
 * the same Message-ID / idempotency key (derived from the dedupe key), so the receiving
 * side can drop the copy. See docs/NOTIFICATIONS.md.
 */
import type { NotifySettings, Store, WriteHooks } from '@clinic/core';
import type { AppointmentView, Clock, Notification, NotificationChannel } from '@clinic/domain';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff';
import { idempotencyKeyFor, messageIdFor } from './message-id';
import { renderEmail, renderSms } from './render';
import {
  TransportError,
  type EmailTransport,
  type MessageContext,
  type NotifyLog,
  type SmsTransport,
} from './types';

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  settings: Pick<NotifySettings, 'self'>;
  transports: { email?: EmailTransport | undefined; sms?: SmsTransport | undefined };
  mailFrom: string;
  /** The node's write hooks: an edge pushes the new state of its own rows to central. */
  hooks?: WriteHooks | undefined;
  policy?: Partial<RetryPolicy>;
  /** Rows claimed per cycle (default 32). */
  batchSize?: number;
  /** Sends in flight at once (default 8). */
  concurrency?: number;
  /** Longest sleep between cycles (default 5 s): rows queued by another process. */
  pollMs?: number;
  log?: NotifyLog;
}

export interface DispatcherStats {
  sent: number;
  retried: number;
  failed: number;
  dropped: number;
  /** When the last cycle ended (epoch ms), or null before the first. */
  last_cycle_at: number | null;
  last_error: string | null;
}

const personName = (first: string, last: string) => `${first} ${last}`.trim();

/** A short, data-free description of an error for the row and the log. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 300);
}

export function createDispatcher(options: DispatcherOptions) {
  const { store, clock, transports, mailFrom, hooks } = options;
  const self = options.settings.self;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const batchSize = options.batchSize ?? 32;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const pollMs = options.pollMs ?? 5000;
  const log = options.log ?? (() => {});
  const channels: NotificationChannel[] = [];
  if (transports.email) channels.push('email');
  if (transports.sms) channels.push('sms');

  const stats: DispatcherStats = {
    sent: 0,
    retried: 0,
    failed: 0,
    dropped: 0,
    last_cycle_at: null,
    last_error: null,
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  /** Set by stop(): drain() ends after the batch in hand. */
  let stoppingNow = false;

  // Outcomes are recorded by group commit: the first waits for no one; those that finish
  // while a commit is running go together in the next one. Each is recorded as soon as the
  // database allows (the send-to-record window stays as short as it can be), in far fewer
  // transactions than one per message.
  let pending: { row: Notification; done: () => void; fail: (e: unknown) => void }[] = [];
  let flushing: Promise<void> | undefined;

  async function flush(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await store.write(async (tx) => {
          await tx.recordDeliveries(batch.map((b) => b.row));
          await hooks?.notificationsWritten?.(
            tx,
            batch.map((b) => b.row),
          );
        });
        for (const b of batch) b.done();
      } catch (error) {
        for (const b of batch) b.fail(error);
      }
    }
    flushing = undefined;
  }

  function record(row: Notification, patch: Partial<Notification>): Promise<void> {
    const next: Notification = { ...row, ...patch, updated_at: clock.now() };
    return new Promise<void>((done, fail) => {
      pending.push({ row: next, done, fail });
      flushing ??= flush();
    });
  }

  async function contextOf(
    row: Notification,
    appointment: AppointmentView,
  ): Promise<MessageContext> {
    const view = (a: AppointmentView) => ({
      start_time: a.start_time,
      end_time: a.end_time,
      appointment_type: a.appointment_type,
      reason: a.reason,
      facility_name: a.facility_name,
      facility_timezone: a.facility_timezone,
      provider_name: personName(a.provider_first_name, a.provider_last_name),
      patient_name: personName(a.patient_first_name, a.patient_last_name),
    });
    const ctx: MessageContext = {
      event: row.event,
      recipient: row.recipient,
      appointment: view(appointment),
    };
    if (row.event === 'conflict' && row.conflict_id) {
      const conflict = await store.getConflict(row.conflict_id);
      const otherId =
        conflict?.appointment_a === appointment.id
          ? conflict.appointment_b
          : conflict?.appointment_a;
      const other = otherId
        ? await store.getAppointment(otherId, { includeDeleted: true })
        : undefined;
      if (conflict && other) {
        const o = view(other);
        ctx.conflict = {
          kind: conflict.kind,
          other: {
            start_time: o.start_time,
            end_time: o.end_time,
            provider_name: o.provider_name,
            patient_name: o.patient_name,
          },
        };
      }
    }
    return ctx;
  }

  /** Why a reminder must not go out any more, or undefined when it still should. */
  function staleReminder(row: Notification, a: AppointmentView): string | undefined {
    if (row.event !== 'reminder') return undefined;
    if (a.deleted_at !== null || a.status !== 'scheduled') return `appointment is ${a.status}`;
    if (a.start_time !== row.reminder_for) return 'appointment was moved';
    return undefined;
  }

  async function send(row: Notification, ctx: MessageContext) {
    if (row.channel === 'email') {
      const transport = transports.email;
      if (!transport) throw new TransportError('no email transport');
      const { subject, text, html } = renderEmail(ctx);
      return transport.send({
        to: row.address,
        subject,
        text,
        html,
        messageId: messageIdFor(row.dedupe_key, mailFrom),
      });
    }
    const transport = transports.sms;
    if (!transport) throw new TransportError('no sms transport');
    return transport.send({
      to: row.address,
      text: renderSms(ctx),
      idempotencyKey: idempotencyKeyFor(row.dedupe_key),
    });
  }

  async function deliver(row: Notification): Promise<void> {
    await deliverOne(row).catch((error: unknown) => {
      // A row whose outcome could not be recorded stays `sending`: the next start sends it
      // again under the same Message-ID. Nothing else is lost.
      stats.last_error = describeError(error);
      log(`notify: could not record ${row.channel} ${row.id}: ${stats.last_error}`);
    });
  }

  async function deliverOne(row: Notification): Promise<void> {
    const appointment = await store.getAppointment(row.appointment_id, { includeDeleted: true });
    if (!appointment) {
      stats.failed += 1;
      await record(row, { status: 'failed', last_error: 'appointment not found on this node' });
      return;
    }
    const stale = staleReminder(row, appointment);
    if (stale) {
      stats.dropped += 1;
      await record(row, { status: 'dropped', last_error: `reminder dropped: ${stale}` });
      return;
    }
    try {
      await send(row, await contextOf(row, appointment));
    } catch (error) {
      const permanent = error instanceof TransportError && error.permanent;
      const message = describeError(error);
      stats.last_error = message;
      if (permanent || row.attempts >= policy.maxAttempts) {
        stats.failed += 1;
        log(
          `notify: ${row.channel} ${row.id} dead-lettered after ${row.attempts} attempt(s): ${message}`,
        );
        await record(row, { status: 'failed', last_error: message });
      } else {
        stats.retried += 1;
        const delay = retryDelayMs(row.attempts, policy);
        log(
          `notify: ${row.channel} ${row.id} attempt ${row.attempts} failed, retry in ${Math.round(delay / 1000)} s: ${message}`,
        );
        await record(row, {
          status: 'pending',
          last_error: message,
          next_attempt_at: clock.now() + delay,
        });
      }
      return;
    }
    stats.sent += 1;
    await record(row, { status: 'sent', sent_at: clock.now(), last_error: null });
  }

  /** Claims and delivers one batch; returns how many rows it claimed. */
  async function cycleOnce(): Promise<number> {
    if (channels.length === 0) return 0;
    const claimed = await store.write((tx) =>
      tx.claimNotifications({ owner: self, channels, now: clock.now(), limit: batchSize }),
    );
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const row = claimed[next++];
        if (row) await deliver(row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, worker));
    stats.last_cycle_at = clock.now();
    return claimed.length;
  }

  /** Delivers everything due now (batch after batch); returns how many rows it handled. */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await cycleOnce();
      total += n;
      // A stop lets the batch in hand finish (each row is recorded), not the whole queue.
      if (n < batchSize || stoppingNow) return total;
    }
  }

  let timerAt = Infinity;
  /**
   * Runs a cycle in `delayMs`, unless one is already due sooner: a steady stream of wakes
   * (a booking every few ms) must not keep pushing the next cycle back.
   */
  function schedule(delayMs: number): void {
    if (stopped) return;
    const at = performance.now() + Math.max(0, delayMs);
    if (timer && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Infinity;
        void tick();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await drain();
        } catch (error) {
          stats.last_error = describeError(error);
          log(`notify: dispatch cycle failed: ${stats.last_error}`);
        }
      } while (again && !stopped);
    })();
    await running;
    running = undefined;
    if (stopped) return;
    const due = await store.nextNotificationDue(self, channels).catch(() => undefined);
    schedule(due === undefined ? pollMs : Math.min(pollMs, due - clock.now()));
  }

  return {
    channels,
    stats,

    /** Recovers claims a crash left behind, then starts delivering in the background. */
    async start(): Promise<void> {
      if (!stopped) return;
      stopped = false;
      stoppingNow = false;
      if (channels.length === 0) return;
      const released = await store.write((tx) => tx.releaseNotificationClaims(self, clock.now()));
      if (released > 0) {
        log(`notify: ${released} notification(s) interrupted by a stop will be sent again`);
      }
      schedule(0);
    },

    /** Something was queued: look again soon (after the queuing transaction commits). */
    wake(): void {
      if (!stopped && channels.length > 0) schedule(20);
    },

    /** Delivers everything due now and answers when done (tests, `drain` on stop). */
    drain,

    async stop(): Promise<void> {
      stopped = true;
      stoppingNow = true;
      clearTimeout(timer);
      timer = undefined;
      await running;
      await Promise.allSettled([transports.email?.close(), transports.sms?.close()]);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
