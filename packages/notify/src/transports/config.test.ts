/** Tests of choosing transports from flags and environment. */
import { describe, expect, it } from 'vitest';
import {
  startFakeAfricasTalking,
  startFakeTwilio,
  startFakeWebhook,
} from '../../../../tests/support/fake-sms-gateways';
import { createEmailTransport, NotifyConfigError, parseSmsGateway } from './config';

const log = () => {};

function configError(fn: () => unknown): NotifyConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NotifyConfigError);
    expect((error as Error).message).not.toContain('\n');
    return error as NotifyConfigError;
  }
  throw new Error('expected a NotifyConfigError');
}

const AT_ENV = { AT_USERNAME: 'sandbox', AT_API_KEY: 'atsk_secret' };
const TWILIO_ENV = {
  TWILIO_ACCOUNT_SID: 'AC123',
  TWILIO_AUTH_TOKEN: 'secret',
  TWILIO_FROM: '+15005550006',
};

describe('parseSmsGateway', () => {
  it('builds each gateway from its spec', () => {
    expect(parseSmsGateway('log', {}, log).name).toBe('log');
    expect(parseSmsGateway('webhook:https://sms.example/send', {}, log).name).toBe('webhook');
    expect(parseSmsGateway('africastalking', AT_ENV, log).name).toBe('africastalking');
    expect(parseSmsGateway('twilio', TWILIO_ENV, log).name).toBe('twilio');
  });

  it('names the missing environment variable', () => {
    expect(configError(() => parseSmsGateway('africastalking', {}, log)).message).toBe(
      'SMS gateway africastalking needs the environment variable AT_USERNAME',
    );
    expect(
      configError(() =>
        parseSmsGateway('africastalking', { AT_USERNAME: 'x', AT_API_KEY: ' ' }, log),
      ).message,
    ).toBe('SMS gateway africastalking needs the environment variable AT_API_KEY');
    expect(
      configError(() => parseSmsGateway('twilio', { ...TWILIO_ENV, TWILIO_FROM: undefined }, log))
        .message,
    ).toBe('SMS gateway twilio needs the environment variable TWILIO_FROM');
    expect(
      configError(() => parseSmsGateway('twilio', { TWILIO_ACCOUNT_SID: 'AC1' }, log)).message,
    ).toBe('SMS gateway twilio needs the environment variable TWILIO_AUTH_TOKEN');
  });

  it('refuses unknown specs and bad URLs, without echoing secrets', () => {
    expect(configError(() => parseSmsGateway('carrier-pigeon', {}, log)).message).toBe(
      'unknown SMS gateway "carrier-pigeon": use one of log, webhook:URL, africastalking, twilio',
    );
    expect(configError(() => parseSmsGateway('webhook:', {}, log)).message).toContain('not a URL');
    expect(configError(() => parseSmsGateway('webhook:ftp://x/y', {}, log)).message).toContain(
      'http:// or https://',
    );
    const bad = configError(() =>
      parseSmsGateway('africastalking', { ...AT_ENV, AT_BASE_URL: 'not a url' }, log),
    );
    expect(bad.message).toContain('AT_BASE_URL');
    expect(bad.message).not.toContain('atsk_secret');
  });

  it('takes the secrets and base URLs from env (each gateway reaches its fake)', async () => {
    const at = await startFakeAfricasTalking();
    const twilio = await startFakeTwilio();
    const hook = await startFakeWebhook({ token: 'hook-token' });
    try {
      const message = { to: '+254712345678', text: 'hello', idempotencyKey: 'k'.repeat(32) };
      await parseSmsGateway(
        'africastalking',
        {
          AT_USERNAME: at.username,
          AT_API_KEY: at.apiKey,
          AT_SENDER_ID: 'HOPE',
          AT_BASE_URL: at.url,
        },
        log,
      ).send(message);
      expect(at.messages[0]).toMatchObject({ to: message.to, from: 'HOPE' });

      await parseSmsGateway(
        'twilio',
        {
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_FROM: '+15005550006',
          TWILIO_BASE_URL: twilio.url,
        },
        log,
      ).send(message);
      expect(twilio.messages[0]).toMatchObject({ to: message.to, from: '+15005550006' });

      await parseSmsGateway(
        `webhook:${hook.url}`,
        { CLINIC_SMS_WEBHOOK_TOKEN: 'hook-token' },
        log,
      ).send(message);
      expect(hook.messages[0]).toMatchObject({
        to: message.to,
        idempotencyKey: message.idempotencyKey,
      });
    } finally {
      await Promise.all([at.close(), twilio.close(), hook.close()]);
    }
  });

  it('logs through the log gateway', async () => {
    const lines: string[] = [];
    await parseSmsGateway('log', {}, (line) => lines.push(line)).send({
      to: '+254712345678',
      text: 'secret text',
      idempotencyKey: 'abc',
    });
    expect(lines).toEqual([expect.stringContaining('+2547*****678')]);
    expect(lines[0]).not.toContain('secret text');
  });
});

describe('createEmailTransport', () => {
  it('uses SMTP with an smtp:// or smtps:// URL, the log otherwise', async () => {
    const smtp = createEmailTransport({
      smtpUrl: 'smtp://127.0.0.1:2525',
      mailFrom: 'noreply@clinic.example',
      log,
    });
    expect(smtp.name).toBe('smtp');
    await smtp.close();
    const smtps = createEmailTransport({
      smtpUrl: 'smtps://user:pass@mail.example:465',
      mailFrom: 'noreply@clinic.example',
      log,
    });
    expect(smtps.name).toBe('smtp');
    await smtps.close();
    expect(createEmailTransport({ mailFrom: 'noreply@clinic.example', log }).name).toBe('log');
    expect(
      createEmailTransport({ smtpUrl: ' ', mailFrom: 'noreply@clinic.example', log }).name,
    ).toBe('log');
  });

  it('refuses other URLs with a clear message', () => {
    expect(
      configError(() =>
        createEmailTransport({ smtpUrl: 'http://mail.example', mailFrom: 'a@b.example', log }),
      ).message,
    ).toBe('the SMTP URL must start with smtp:// or smtps://, not http://');
    expect(
      configError(() =>
        createEmailTransport({ smtpUrl: 'mail.example:25', mailFrom: 'a@b.example', log }),
      ).message,
    ).toContain('smtp://');
    expect(
      configError(() =>
        createEmailTransport({ smtpUrl: 'smtp://mail.example', mailFrom: 'nobody', log }),
      ).message,
    ).toBe('the mail sender (From) must be an email address');
  });
});
