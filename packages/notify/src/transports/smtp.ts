/**
 * Email over SMTP with nodemailer's pooled transport. Every message goes out under the
 * Message-ID the dispatcher derived from its dedupe key (messageIdFor), never one nodemailer
 * makes up, so a resend after a crash is recognisably the same message.
 *
 * One send() is one attempt: the pool does not requeue a message whose connection died
 * (maxRequeues 0); the notification queue owns retries. Failures become TransportErrors:
 *
 * - a 5xx reply is permanent (RFC 5321: the same message would be refused again), except
 *   503 (bad sequence of commands: a session problem, not a verdict on the message) and 552
 *   (mailbox full or too many recipients, which RFC 5321 4.5.3.1.10 asks clients to treat as
 *   temporary); 554 (transaction failed, usually a policy rejection) is permanent, and so is
 *   535 (authentication refused: bad credentials);
 * - a 4xx reply and anything below SMTP (refused, reset, timed out, no greeting, DNS, TLS) is
 *   transient; so is a reply outside 4xx/5xx;
 * - configuration errors nodemailer finds before talking (no recipients, missing credentials)
 *   are permanent.
 *
 * Error messages carry the reply code, the enhanced status, the command and the server's
 * words with every address scrubbed out; never the body.
 */
import type { NodemailerError, Transporter } from 'nodemailer';
import {
  TransportError,
  type EmailMessage,
  type EmailTransport,
  type NotifyLog,
  type SendResult,
} from '../types';
import { scrubAddresses } from './redact';

export interface SmtpTransportOptions {
  /** smtp://[user:pass@]host[:port] or smtps://... (nodemailer's URL form). */
  url: string;
  /** The From header and envelope sender: `noreply@clinic.example` or `Name <address>`. */
  from: string;
  /** Connection-level events (pool errors), without addresses or bodies. */
  logger?: NotifyLog;
  /** Defaults: connect 10 s, greeting 10 s, socket inactivity 30 s. */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
  /** Parallel connections of the pool; defaults to 4. */
  maxConnections?: number;
}

/** Codes nodemailer sets before or without an SMTP reply that retrying cannot fix. */
const PERMANENT_CODES = new Set(['EENVELOPE', 'ENOAUTH', 'ECONFIG', 'EMAXRECIPIENTS']);

export function createSmtpTransport(options: SmtpTransportOptions): EmailTransport {
  // nodemailer loads on the first send: a clinic node that never mails (it relays through
  // central) does not carry it in memory.
  let pool: Promise<Transporter> | undefined;
  const transporter = () =>
    (pool ??= import('nodemailer').then(({ default: nodemailer }) => {
      const t = nodemailer.createTransport({
        pool: true,
        url: options.url,
        maxConnections: options.maxConnections ?? 4,
        maxMessages: 100,
        maxRequeues: 0,
        connectionTimeout: options.timeouts?.connectionMs ?? 10_000,
        greetingTimeout: options.timeouts?.greetingMs ?? 10_000,
        socketTimeout: options.timeouts?.socketMs ?? 30_000,
        disableFileAccess: true,
        disableUrlAccess: true,
        logger: false,
      });
      // The pool reports a broken idle connection as an 'error' event; unhandled, it would crash.
      t.on('error', (error: Error) => {
        options.logger?.(`smtp: pool connection failed: ${describe(error as NodemailerError)}`);
      });
      return t;
    }));

  return {
    name: 'smtp',
    async send(message: EmailMessage): Promise<SendResult> {
      try {
        const info = await (
          await transporter()
        ).sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: message.messageId,
        });
        const response = typeof info.response === 'string' ? scrubAddresses(info.response) : '';
        const providerId = response || info.messageId;
        return providerId ? { providerId } : {};
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    async close() {
      if (pool) (await pool).close();
    },
  };
}

/** The TransportError for what nodemailer threw (see the module comment for the rules). */
export function classifySmtpError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const err = (error ?? {}) as NodemailerError;
  return new TransportError(`smtp: ${describe(err)}`, isPermanent(err));
}

function isPermanent(err: NodemailerError): boolean {
  const code = err.responseCode;
  if (typeof code === 'number' && code > 0) {
    return code >= 500 && code < 600 && code !== 503 && code !== 552;
  }
  return typeof err.code === 'string' && PERMANENT_CODES.has(err.code);
}

/** "550 5.1.1 at RCPT TO: <address>: Recipient address rejected" / "ECONNREFUSED at CONN". */
function describe(err: NodemailerError): string {
  const parts: string[] = [];
  if (typeof err.responseCode === 'number') parts.push(String(err.responseCode));
  else {
    const code = err.originalCode ?? err.code;
    if (typeof code === 'string') parts.push(code);
    if (typeof err.timeoutType === 'string') parts.push(err.timeoutType.toLowerCase());
  }
  if (typeof err.command === 'string')
    parts.push(`at ${err.command.split(' ').slice(0, 2).join(' ')}`);
  const words =
    typeof err.response === 'string'
      ? err.response.replace(/^\d{3}[ -]/, '')
      : typeof err.message === 'string'
        ? err.message
        : '';
  const detail = scrubAddresses(words);
  return `${parts.join(' ') || 'failed'}${detail ? `: ${detail}` : ''}`;
}
