/** The notification flags as parsed: values, environment fallbacks, refusals. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCommand, type EdgeConfig } from './config';

const edge = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  (parseCommand(['edge', '--data', 'd', ...args], env) as { config: EdgeConfig }).config;

describe('notification configuration', () => {
  it('takes defaults, flags, and the environment for secrets', () => {
    expect(edge([])).toMatchObject({ reminderHours: 24, notifyMaxAttempts: 8 });
    expect(edge([]).smtpUrl).toBeUndefined();
    expect(
      edge(['--sms-gateway', 'webhook:https://sms.example.org/hook', '--reminder-hours', '1.5']),
    ).toMatchObject({ smsGateway: 'webhook:https://sms.example.org/hook', reminderHours: 1.5 });
    // A URL with a password stays out of the process list when it comes from the environment.
    expect(edge([], { CLINIC_SMTP_URL: 'smtp://u:p@mail:587' }).smtpUrl).toBe(
      'smtp://u:p@mail:587',
    );
  });

  it('accepts a From address with a display name', () => {
    expect(edge(['--mail-from', 'Hope Clinic <noreply@hope.example.org>']).mailFrom).toBe(
      'Hope Clinic <noreply@hope.example.org>',
    );
    expect(edge(['--mail-from', 'clinic@localhost']).mailFrom).toBe('clinic@localhost');
  });

  it('refuses what cannot work, naming the flag', () => {
    expect(() => edge(['--mail-from', 'nobody'])).toThrow(ConfigError);
    expect(() => edge(['--mail-from', 'nobody'])).toThrow(/--mail-from/);
    expect(() => edge(['--smtp-url', 'http://mail'])).toThrow(/--smtp-url/);
    expect(() => edge(['--sms-gateway', 'pigeon'])).toThrow(/--sms-gateway/);
    expect(() => edge(['--notify-max-attempts', '0'])).toThrow(/--notify-max-attempts/);
  });
});
