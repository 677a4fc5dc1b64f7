/**
 * Each transport against a real server on loopback: the SMS gateways against their fakes
 * (tests/support/fake-sms-gateways.ts), SMTP against a real SMTP server (smtp-sink).
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startFakeAfricasTalking,
  startFakeTwilio,
  startFakeWebhook,
} from '../../../../tests/support/fake-sms-gateways';
import { startSmtpSink, type SmtpSink } from '../../../../tests/support/smtp-sink';
import { idempotencyKeyFor, messageIdFor } from '../message-id';
import { TransportError, type EmailMessage, type SmsMessage } from '../types';
import { createAfricasTalkingTransport } from './africastalking';
import { createLogEmailTransport, createLogSmsTransport } from './log';
import { createSmtpTransport } from './smtp';
import { createTwilioTransport } from './twilio';
import { createWebhookSmsTransport } from './webhook';

const PHONE = '+254712345678';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function sms(overrides: Partial<SmsMessage> = {}): SmsMessage {
  return {
    to: PHONE,
    text: 'Hope Clinic: appointment booked Wed 15 Jan 2025 13:00-13:30 EAT with Dr Amina.',
    idempotencyKey: idempotencyKeyFor(`appt-${Math.random()}:created:patient:sms`),
    ...overrides,
  };
}

/** The TransportError a promise rejects with (fails the test if it resolves or throws another). */
async function transportError(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('webhook SMS transport', () => {
  it('posts {to, text, idempotency_key} with the key header and the bearer token', async () => {
    const fake = await startFakeWebhook({ token: 'hook-secret' });
    cleanup.push(fake.close);
    const transport = createWebhookSmsTransport({ url: fake.url, token: 'hook-secret' });
    const message = sms();
    const result = await transport.send(message);
    expect(fake.messages).toEqual([
      {
        id: result.providerId,
        to: PHONE,
        text: message.text,
        idempotencyKey: message.idempotencyKey,
      },
    ]);
    expect(result.providerId).toMatch(/^wh_/);

    // A resend after a crash carries the same key: the receiver keeps one.
    const again = await transport.send(message);
    expect(again.providerId).toBe(result.providerId);
    expect(fake.messages).toHaveLength(1);
    expect(fake.duplicates).toBe(1);
  });

  it('is permanent on a wrong token or a refused number, transient on 5xx, timeout or no server', async () => {
    const fake = await startFakeWebhook({ token: 'hook-secret' });
    cleanup.push(fake.close);
    const wrongToken = createWebhookSmsTransport({ url: fake.url, token: 'nope' });
    expect((await transportError(wrongToken.send(sms()))).permanent).toBe(true);

    const transport = createWebhookSmsTransport({
      url: fake.url,
      token: 'hook-secret',
      timeoutMs: 300,
    });
    fake.setFailure('4xx');
    const refused = await transportError(transport.send(sms()));
    expect(refused.permanent).toBe(true);
    expect(refused.message).toContain('HTTP 422');
    expect(refused.message).not.toContain('712345678');

    fake.setFailure('5xx');
    const down = await transportError(transport.send(sms()));
    expect(down.permanent).toBe(false);
    expect(down.message).toContain('HTTP 503');

    fake.setFailure('hang');
    const slow = await transportError(transport.send(sms()));
    expect(slow.permanent).toBe(false);
    expect(slow.message).toContain('no answer within 0.3 s');

    fake.setFailure('none');
    await transport.send(sms());
    expect(fake.messages).toHaveLength(1);

    const gone = createWebhookSmsTransport({ url: `http://127.0.0.1:${await closedPort()}/sms` });
    const refusedConnection = await transportError(gone.send(sms()));
    expect(refusedConnection.permanent).toBe(false);
    expect(refusedConnection.message).toContain('ECONNREFUSED');
  });
});

describe("Africa's Talking transport", () => {
  it('sends the form with the apiKey header and returns their message id', async () => {
    const fake = await startFakeAfricasTalking();
    cleanup.push(fake.close);
    const transport = createAfricasTalkingTransport({
      username: fake.username,
      apiKey: fake.apiKey,
      from: 'HOPECLINIC',
      baseUrl: fake.url,
    });
    const message = sms();
    const result = await transport.send(message);
    expect(fake.messages).toEqual([
      {
        username: fake.username,
        to: PHONE,
        message: message.text,
        from: 'HOPECLINIC',
        messageId: result.providerId,
      },
    ]);
    expect(result.providerId).toMatch(/^ATXid_/);
  });

  it('is permanent on bad credentials or a refused number, transient on 5xx', async () => {
    const fake = await startFakeAfricasTalking();
    cleanup.push(fake.close);
    const badKey = createAfricasTalkingTransport({
      username: fake.username,
      apiKey: 'wrong',
      baseUrl: fake.url,
    });
    const auth = await transportError(badKey.send(sms()));
    expect(auth.permanent).toBe(true);
    expect(auth.message).toContain('HTTP 401');

    const transport = createAfricasTalkingTransport({
      username: fake.username,
      apiKey: fake.apiKey,
      baseUrl: fake.url,
    });
    fake.setFailure('4xx');
    const refused = await transportError(transport.send(sms()));
    expect(refused.permanent).toBe(true);
    expect(refused.message).toBe('africastalking: recipient status 403 InvalidPhoneNumber');

    fake.setFailure('5xx');
    const down = await transportError(transport.send(sms()));
    expect(down.permanent).toBe(false);
    expect(down.message).toContain('HTTP 500');
    expect(fake.messages).toHaveLength(0);
    expect(fake.requests).toBe(3);
  });
});

describe('Twilio transport', () => {
  it('posts To, From and Body with basic auth and returns the message sid', async () => {
    const fake = await startFakeTwilio();
    cleanup.push(fake.close);
    const transport = createTwilioTransport({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: '+15005550006',
      baseUrl: fake.url,
    });
    const message = sms();
    const result = await transport.send(message);
    expect(fake.messages).toEqual([
      { sid: result.providerId, to: PHONE, from: '+15005550006', body: message.text },
    ]);
    expect(result.providerId).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('sends from a Messaging Service when the sender is an MG sid', async () => {
    const fake = await startFakeTwilio();
    cleanup.push(fake.close);
    const service = `MG${'a1'.repeat(16)}`;
    const transport = createTwilioTransport({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: service,
      baseUrl: fake.url,
    });
    await transport.send(sms());
    expect(fake.messages[0]).toMatchObject({ messagingServiceSid: service });
    expect(fake.messages[0]!.from).toBeUndefined();
  });

  it('is permanent on 4xx (without the number in the error), transient on 5xx', async () => {
    const fake = await startFakeTwilio();
    cleanup.push(fake.close);
    const badToken = createTwilioTransport({
      accountSid: fake.accountSid,
      authToken: 'wrong',
      from: '+15005550006',
      baseUrl: fake.url,
    });
    const auth = await transportError(badToken.send(sms()));
    expect(auth.permanent).toBe(true);
    expect(auth.message).toBe('twilio: HTTP 401 (code 20003: Authenticate)');

    const transport = createTwilioTransport({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: '+15005550006',
      baseUrl: fake.url,
    });
    fake.setFailure('4xx');
    const refused = await transportError(transport.send(sms()));
    expect(refused.permanent).toBe(true);
    expect(refused.message).toContain('code 21211');
    expect(refused.message).not.toContain('712345678');

    fake.setFailure('5xx');
    const down = await transportError(transport.send(sms()));
    expect(down.permanent).toBe(false);
    expect(down.message).toContain('HTTP 500');
  });
});

describe('log transports', () => {
  it('write one line per message with a masked address and the id, never the text', async () => {
    const lines: string[] = [];
    const email = createLogEmailTransport((line) => lines.push(line));
    const messageId = messageIdFor('k1', 'noreply@clinic.example');
    await email.send({
      to: 'jane.wanjiru@example.org',
      subject: 'Appointment booked: Wed 15 Jan 2025',
      text: 'Dear Jane Wanjiru, ... Persistent cough',
      html: '<p>Persistent cough</p>',
      messageId,
    });
    const smsTransport = createLogSmsTransport((line) => lines.push(line));
    const message = sms();
    await smsTransport.send(message);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('j***@example.org');
    expect(lines[0]).toContain(messageId);
    expect(lines[1]).toContain('+2547*****678');
    expect(lines[1]).toContain(message.idempotencyKey);
    for (const line of lines) {
      expect(line).not.toMatch(/wanjiru|cough|Dr Amina|712345678/i);
    }
  });
});

describe('SMTP transport', () => {
  const FROM = 'Hope Clinic <noreply@clinic.example>';

  function email(key: string): EmailMessage {
    return {
      to: 'jane@example.org',
      subject: 'Appointment booked: Wed 15 Jan 2025',
      text: 'Dear Jane,\n\nYour appointment at Hope Clinic is booked: 13:00–13:30 EAT.\n',
      html: '<p>Dear Jane,</p><p>Your appointment at Hope Clinic is booked: 13:00–13:30 EAT.</p>',
      messageId: messageIdFor(key, FROM),
    };
  }

  async function sink(): Promise<SmtpSink> {
    const s = await startSmtpSink();
    cleanup.push(s.stop);
    return s;
  }

  function transportTo(s: SmtpSink) {
    const transport = createSmtpTransport({ url: s.url, from: FROM });
    cleanup.push(() => transport.close());
    return transport;
  }

  it('delivers the message under our Message-ID, with subject, text and html', async () => {
    const s = await sink();
    const transport = transportTo(s);
    const message = email('appt-1:created:patient:email');
    const result = await transport.send(message);
    expect(result.providerId).toBeTruthy();
    const received = await s.waitFor((m) => m.messageId === message.messageId, 5_000);
    expect(received).toMatchObject({
      messageId: message.messageId,
      to: 'jane@example.org',
      from: 'noreply@clinic.example',
      subject: message.subject,
    });
    expect(received.text.replace(/\r\n/g, '\n')).toBe(message.text);
    expect(received.html).toContain(message.html);
    expect(received.headers.get('from')).toContain('noreply@clinic.example');
  });

  it('answers only after the onMessage hook (the window a crash test uses)', async () => {
    const s = await sink();
    const transport = transportTo(s);
    const order: string[] = [];
    s.onMessage = async () => {
      order.push('received');
      await new Promise((resolve) => setTimeout(resolve, 100));
      order.push('hook done');
    };
    await transport.send(email('appt-2:created:patient:email'));
    order.push('send resolved');
    expect(order).toEqual(['received', 'hook done', 'send resolved']);
  });

  it('is permanent on a 5xx reply (no address in the error), transient on 4xx', async () => {
    const s = await sink();
    const transport = transportTo(s);
    s.setFailure('5xx');
    const refused = await transportError(transport.send(email('appt-3:created:patient:email')));
    expect(refused.permanent).toBe(true);
    expect(refused.message).toMatch(/^smtp: 550 /);
    expect(refused.message).not.toContain('jane@example.org');

    s.setFailure('4xx');
    const later = await transportError(transport.send(email('appt-4:created:patient:email')));
    expect(later.permanent).toBe(false);
    expect(later.message).toMatch(/^smtp: 450 /);
    expect(s.messages).toHaveLength(0);
  });

  it('is transient while the server is down, and delivers once it is back on the same port', async () => {
    const s = await sink();
    const transport = transportTo(s);
    await transport.send(email('appt-5:created:patient:email'));
    await s.stop();

    const down = await transportError(transport.send(email('appt-6:created:patient:email')));
    expect(down.permanent).toBe(false);
    expect(down.message).toMatch(/ECONNREFUSED|ECONNRESET|ECONNECTION/);

    await s.start();
    const message = email('appt-6:created:patient:email');
    await transport.send(message);
    await s.waitFor((m) => m.messageId === message.messageId, 5_000);
    expect(s.messages.map((m) => m.messageId)).toEqual([
      messageIdFor('appt-5:created:patient:email', FROM),
      message.messageId,
    ]);
  });

  it('is transient when nothing listens', async () => {
    const transport = createSmtpTransport({
      url: `smtp://127.0.0.1:${await closedPort()}`,
      from: FROM,
    });
    cleanup.push(() => transport.close());
    const error = await transportError(transport.send(email('appt-7:created:patient:email')));
    expect(error.permanent).toBe(false);
    expect(error.message).toContain('ECONNREFUSED');
  });
});
