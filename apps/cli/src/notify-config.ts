/**
 * Builds a node's notification delivery from its configuration: central always delivers
 * (to the log unless SMTP / an SMS gateway is configured); a clinic node delivers only on
 * the channels it has a transport for and relays the rest through central.
 */
import { createEmailTransport, parseSmsGateway, type NotifyLog } from '@clinic/notify';
import { DEFAULT_MAIL_FROM, type NotifyOptions } from '@clinic/server';
import type { CentralConfig, EdgeConfig } from './config';

const HOUR_MS = 60 * 60 * 1000;

export interface NotifySetup {
  options: NotifyOptions;
  /** One line for the start-up banner: where email and SMS go. */
  summary: string;
}

export function notifySetup(
  role: 'central' | 'edge',
  config: Pick<
    CentralConfig | EdgeConfig,
    | 'smtpUrl'
    | 'mailFrom'
    | 'smsGateway'
    | 'reminderHours'
    | 'notifyMaxAttempts'
    | 'notifyRetryBaseMs'
  >,
  env: NodeJS.ProcessEnv,
  log: NotifyLog,
): NotifySetup {
  const mailFrom = config.mailFrom ?? DEFAULT_MAIL_FROM;
  const email =
    config.smtpUrl !== undefined || role === 'central'
      ? createEmailTransport({ ...(config.smtpUrl && { smtpUrl: config.smtpUrl }), mailFrom, log })
      : undefined;
  const smsSpec = config.smsGateway ?? (role === 'central' ? 'log' : undefined);
  const sms = smsSpec === undefined ? undefined : parseSmsGateway(smsSpec, env, log);
  const where = (name: string | undefined) =>
    name === undefined ? 'relayed to central' : name === 'log' ? 'written to the log' : name;
  return {
    options: {
      email,
      sms,
      mailFrom,
      reminderLeadMs: config.reminderHours * HOUR_MS,
      policy: { maxAttempts: config.notifyMaxAttempts, baseMs: config.notifyRetryBaseMs },
    },
    summary: `notifications: email ${where(email?.name)}, SMS ${where(sms?.name)}`,
  };
}
