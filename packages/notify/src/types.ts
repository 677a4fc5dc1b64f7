/**
 * What the dispatcher hands a transport, and what a transport answers. Transports know
 * nothing of the queue: they send one message and say how it went.
 */
import type { NotificationEvent, NotificationRecipient } from '@clinic/domain';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * `<...@...>`, derived from the notification's dedupe key (messageIdFor): a resend after
   * a crash carries the same one, so the receiving side can drop the duplicate.
   */
  messageId: string;
}

export interface SmsMessage {
  /** The phone number as stored (E.164 expected, e.g. +254712345678). */
  to: string;
  /** At most one SMS segment (fitSms). */
  text: string;
  /** Derived from the dedupe key; sent where the gateway has a place for it. */
  idempotencyKey: string;
}

export interface SendResult {
  /** The gateway's or SMTP server's id of the accepted message, when it gives one. */
  providerId?: string;
}

/**
 * A failed send. `permanent` means retrying cannot help (the gateway refused the number,
 * bad credentials): the notification goes to the dead letter at once. Messages carry the
 * transport's words, never the message body or the address.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface EmailTransport {
  /** For logs and /healthz: "smtp", "log". */
  readonly name: string;
  send(message: EmailMessage): Promise<SendResult>;
  close(): Promise<void>;
}

export interface SmsTransport {
  /** For logs and /healthz: "log", "webhook", "africastalking", "twilio". */
  readonly name: string;
  send(message: SmsMessage): Promise<SendResult>;
  close(): Promise<void>;
}

/** One line of a transport's log (the log transports write through this). */
export type NotifyLog = (line: string) => void;

/** What a message says, for the templates (render.ts). Times are epoch ms. */
export interface MessageContext {
  event: NotificationEvent;
  recipient: NotificationRecipient;
  appointment: {
    start_time: number;
    end_time: number;
    appointment_type: string;
    reason: string;
    facility_name: string;
    /** IANA zone; every time in a message is shown in it, with its abbreviation. */
    facility_timezone: string;
    provider_name: string;
    patient_name: string;
  };
  /** For `conflict`: the other appointment of the pair, and the kind of overlap. */
  conflict?: {
    kind: string;
    other: { start_time: number; end_time: number; provider_name: string; patient_name: string };
  };
}
