/**
 * SMS through a webhook of the deployment's own (an SMS box, a relay, another provider): a
 * JSON POST of `{to, text, idempotency_key}`, the same key in the Idempotency-Key header so
 * the receiver can drop a resend, and an optional bearer token.
 *
 * 2xx is accepted (the provider id is the JSON `id` of the answer, if any); 408, 429, 5xx and
 * no answer within the timeout are transient; any other 4xx is permanent.
 */
import { type SendResult, type SmsMessage, type SmsTransport } from '../types';
import { GATEWAY_TIMEOUT_MS, httpFailure, jsonField, postToGateway } from './gateway-request';

export interface WebhookSmsOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>` when given. */
  token?: string;
  fetch?: typeof fetch;
  /** Defaults to 10 s. */
  timeoutMs?: number;
}

export function createWebhookSmsTransport(options: WebhookSmsOptions): SmsTransport {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? GATEWAY_TIMEOUT_MS;
  return {
    name: 'webhook',
    async send(message: SmsMessage): Promise<SendResult> {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Idempotency-Key': message.idempotencyKey,
      };
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      const answer = await postToGateway({
        gateway: 'webhook',
        fetch: doFetch,
        url: options.url,
        headers,
        body: JSON.stringify({
          to: message.to,
          text: message.text,
          idempotency_key: message.idempotencyKey,
        }),
        timeoutMs,
      });
      if (answer.status < 200 || answer.status > 299) {
        throw httpFailure('webhook', answer.status, jsonField(answer.json, 'error'));
      }
      const id = jsonField(answer.json, 'id');
      return id === undefined ? {} : { providerId: id };
    },
    async close() {},
  };
}
