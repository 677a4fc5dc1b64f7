/**
 * Which transports a node uses, from its flags and environment: `--sms-gateway SPEC` with the
 * gateway's secrets only in env (never on the command line, where `ps` shows them), and
 * `--smtp-url` or the log transport for email. A missing piece is a NotifyConfigError at
 * start-up, with a one-line message naming it, rather than a failure at the first send.
 *
 * SMS specs: `log` | `webhook:URL` | `africastalking` | `twilio`.
 * Env: CLINIC_SMS_WEBHOOK_TOKEN (optional); AT_USERNAME, AT_API_KEY, AT_SENDER_ID (optional),
 * AT_BASE_URL (optional); TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, TWILIO_BASE_URL
 * (optional).
 */
import type { EmailTransport, NotifyLog, SmsTransport } from '../types';
import { createAfricasTalkingTransport } from './africastalking';
import { createLogEmailTransport, createLogSmsTransport } from './log';
import { createSmtpTransport } from './smtp';
import { createTwilioTransport } from './twilio';
import { createWebhookSmsTransport } from './webhook';

/** Bad notification configuration: the message says what to fix, in one line. */
export class NotifyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotifyConfigError';
  }
}

export const SMS_GATEWAY_SPECS = ['log', 'webhook:URL', 'africastalking', 'twilio'] as const;

export function parseSmsGateway(
  spec: string,
  env: NodeJS.ProcessEnv,
  log: NotifyLog,
): SmsTransport {
  const trimmed = spec.trim();
  if (trimmed === 'log') return createLogSmsTransport(log);
  if (trimmed.startsWith('webhook:')) {
    const url = httpUrl(trimmed.slice('webhook:'.length), 'the SMS webhook URL (webhook:URL)');
    const token = optional(env, 'CLINIC_SMS_WEBHOOK_TOKEN');
    return createWebhookSmsTransport({ url, ...(token ? { token } : {}) });
  }
  if (trimmed === 'africastalking') {
    const from = optional(env, 'AT_SENDER_ID');
    const baseUrl = optional(env, 'AT_BASE_URL');
    return createAfricasTalkingTransport({
      username: required(env, 'AT_USERNAME', 'africastalking'),
      apiKey: required(env, 'AT_API_KEY', 'africastalking'),
      ...(from ? { from } : {}),
      ...(baseUrl ? { baseUrl: httpUrl(baseUrl, 'AT_BASE_URL') } : {}),
    });
  }
  if (trimmed === 'twilio') {
    const baseUrl = optional(env, 'TWILIO_BASE_URL');
    return createTwilioTransport({
      accountSid: required(env, 'TWILIO_ACCOUNT_SID', 'twilio'),
      authToken: required(env, 'TWILIO_AUTH_TOKEN', 'twilio'),
      from: required(env, 'TWILIO_FROM', 'twilio'),
      ...(baseUrl ? { baseUrl: httpUrl(baseUrl, 'TWILIO_BASE_URL') } : {}),
    });
  }
  throw new NotifyConfigError(
    `unknown SMS gateway "${trimmed.split(':')[0]}": use one of ${SMS_GATEWAY_SPECS.join(', ')}`,
  );
}

export interface EmailTransportConfig {
  /** smtp:// or smtps:// URL; without one, emails are only logged. */
  smtpUrl?: string;
  /** From header and envelope sender. */
  mailFrom: string;
  log: NotifyLog;
}

export function createEmailTransport(config: EmailTransportConfig): EmailTransport {
  const smtpUrl = config.smtpUrl?.trim();
  if (!smtpUrl) return createLogEmailTransport(config.log);
  let parsed: URL;
  try {
    parsed = new URL(smtpUrl);
  } catch {
    throw new NotifyConfigError(
      'the SMTP URL is not a URL: expected smtp://host:port or smtps://host:port',
    );
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new NotifyConfigError(
      `the SMTP URL must start with smtp:// or smtps://, not ${parsed.protocol}//`,
    );
  }
  if (!parsed.hostname) throw new NotifyConfigError('the SMTP URL has no host');
  if (!config.mailFrom.includes('@')) {
    throw new NotifyConfigError('the mail sender (From) must be an email address');
  }
  return createSmtpTransport({ url: smtpUrl, from: config.mailFrom, logger: config.log });
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function required(env: NodeJS.ProcessEnv, name: string, gateway: string): string {
  const value = optional(env, name);
  if (value === undefined) {
    throw new NotifyConfigError(`SMS gateway ${gateway} needs the environment variable ${name}`);
  }
  return value;
}

/** An http(s) URL, or a NotifyConfigError naming `what` (never echoing a secret). */
function httpUrl(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new NotifyConfigError(`${what} is not a URL (expected http:// or https://)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotifyConfigError(`${what} must be an http:// or https:// URL`);
  }
  return text.trim();
}
