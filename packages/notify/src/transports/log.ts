/**
 * Transports that only write a line per message: the default where no SMTP server or SMS
 * gateway is configured (a demo, a clinic without one). The line has the masked address and
 * the message's id, never its text: patient data must not land in logs.
 */
import type { EmailTransport, NotifyLog, SendResult, SmsTransport } from '../types';
import { maskEmail, maskPhone } from '@clinic/domain';

export function createLogEmailTransport(log: NotifyLog): EmailTransport {
  return {
    name: 'log',
    async send(message): Promise<SendResult> {
      log(
        `email (log transport, not sent) to=${maskEmail(message.to)} message-id=${message.messageId}`,
      );
      return { providerId: `log:${message.messageId}` };
    },
    async close() {},
  };
}

export function createLogSmsTransport(log: NotifyLog): SmsTransport {
  return {
    name: 'log',
    async send(message): Promise<SendResult> {
      log(
        `sms (log transport, not sent) to=${maskPhone(message.to)} key=${message.idempotencyKey}`,
      );
      return { providerId: `log:${message.idempotencyKey}` };
    },
    async close() {},
  };
}
