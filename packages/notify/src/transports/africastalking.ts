/**
 * SMS through Africa's Talking's bulk SMS API: a form-encoded POST of username, to, message
 * (and from, the sender id or short code, when set) to /version1/messaging, authenticated by
 * the `apiKey` header. The answer, 201 on success, reports per recipient:
 * `{SMSMessageData: {Message, Recipients: [{statusCode, number, status, cost, messageId}]}}`.
 *
 * Recipient status codes: 100 Processed, 101 Sent, 102 Queued are accepted. 405
 * InsufficientBalance is transient (a top-up fixes it; the queue retries up to its limit).
 * The other 4xx codes are permanent: 401 RiskHold, 402 InvalidSenderId, 403
 * InvalidPhoneNumber, 404 UnsupportedNumberType, 406 UserInBlacklist, 407 CouldNotRoute, 409
 * DoNotDisturbRejection. 500 InternalServerError, 501 GatewayError, 502 RejectedByGateway are
 * transient. HTTP 401/403 (bad username or key) and other 4xx are permanent, 408/429/5xx
 * transient.
 */
import { TransportError, type SendResult, type SmsMessage, type SmsTransport } from '../types';
import { GATEWAY_TIMEOUT_MS, httpFailure, jsonField, postToGateway } from './gateway-request';
import { scrubAddresses } from './redact';

export const AFRICASTALKING_BASE_URL = 'https://api.africastalking.com';
/** Their sandbox, for AT_BASE_URL with the username `sandbox`. */
export const AFRICASTALKING_SANDBOX_URL = 'https://api.sandbox.africastalking.com';

export interface AfricasTalkingOptions {
  username: string;
  apiKey: string;
  /** Sender id or short code registered with them; their default when absent. */
  from?: string;
  /** Defaults to https://api.africastalking.com. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Defaults to 10 s. */
  timeoutMs?: number;
}

const ACCEPTED = new Set([100, 101, 102]);
const TRANSIENT = new Set([405, 500, 501, 502]);

interface Recipient {
  statusCode?: unknown;
  status?: unknown;
  messageId?: unknown;
}

export function createAfricasTalkingTransport(options: AfricasTalkingOptions): SmsTransport {
  const doFetch = options.fetch ?? fetch;
  const url = `${(options.baseUrl ?? AFRICASTALKING_BASE_URL).replace(/\/+$/, '')}/version1/messaging`;
  const timeoutMs = options.timeoutMs ?? GATEWAY_TIMEOUT_MS;
  return {
    name: 'africastalking',
    async send(message: SmsMessage): Promise<SendResult> {
      const form = new URLSearchParams({
        username: options.username,
        to: message.to,
        message: message.text,
      });
      if (options.from) form.set('from', options.from);
      const answer = await postToGateway({
        gateway: 'africastalking',
        fetch: doFetch,
        url,
        headers: {
          apiKey: options.apiKey,
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        timeoutMs,
      });
      if (answer.status < 200 || answer.status > 299) {
        // Their error bodies are short plain text ("The supplied authentication is invalid").
        throw httpFailure('africastalking', answer.status, answer.text);
      }
      const data = (answer.json as { SMSMessageData?: { Message?: unknown; Recipients?: unknown } })
        ?.SMSMessageData;
      const recipients = Array.isArray(data?.Recipients) ? (data.Recipients as Recipient[]) : [];
      const recipient = recipients[0];
      if (!recipient) {
        // No recipient taken: the message says why (e.g. InvalidSenderId); nothing to retry.
        const why =
          typeof data?.Message === 'string' ? scrubAddresses(data.Message) : 'no answer data';
        throw new TransportError(`africastalking: no recipient accepted (${why})`, true);
      }
      const code = Number(recipient.statusCode);
      if (ACCEPTED.has(code)) {
        const id = jsonField(recipient, 'messageId');
        return id === undefined || id === 'None' ? {} : { providerId: id };
      }
      const status =
        typeof recipient.status === 'string' ? recipient.status.replace(/[^\w]/g, '') : '';
      const permanent = Number.isFinite(code) && !TRANSIENT.has(code) && code < 500;
      throw new TransportError(
        `africastalking: recipient status ${Number.isFinite(code) ? code : '?'}${status ? ` ${status}` : ''}`,
        permanent,
      );
    },
    async close() {},
  };
}
