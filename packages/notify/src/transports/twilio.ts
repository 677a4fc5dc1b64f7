/**
 * SMS through Twilio's Programmable Messaging API: a form-encoded POST of To, From (or
 * MessagingServiceSid when the sender is a Messaging Service, `MG...`) and Body to
 * /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth (sid:token). Success is
 * 201 with the Message resource (`sid`, `status`); errors carry `{code, message, more_info,
 * status}`.
 *
 * 4xx is permanent (bad number, bad credentials: code 21211, 20003, ...) except 408 and 429
 * (rate limit); 5xx and no answer are transient.
 */
import { type SendResult, type SmsMessage, type SmsTransport } from '../types';
import { GATEWAY_TIMEOUT_MS, httpFailure, jsonField, postToGateway } from './gateway-request';

export const TWILIO_BASE_URL = 'https://api.twilio.com';

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** A phone number or alphanumeric sender id, or a Messaging Service sid (`MG` + 32 hex). */
  from: string;
  /** Defaults to https://api.twilio.com. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Defaults to 10 s. */
  timeoutMs?: number;
}

export function createTwilioTransport(options: TwilioOptions): SmsTransport {
  const doFetch = options.fetch ?? fetch;
  const base = (options.baseUrl ?? TWILIO_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const auth = Buffer.from(`${options.accountSid}:${options.authToken}`, 'utf8').toString('base64');
  const senderField = /^MG[0-9a-fA-F]{32}$/.test(options.from) ? 'MessagingServiceSid' : 'From';
  const timeoutMs = options.timeoutMs ?? GATEWAY_TIMEOUT_MS;
  return {
    name: 'twilio',
    async send(message: SmsMessage): Promise<SendResult> {
      const form = new URLSearchParams({ To: message.to, Body: message.text });
      form.set(senderField, options.from);
      const answer = await postToGateway({
        gateway: 'twilio',
        fetch: doFetch,
        url,
        headers: {
          Authorization: `Basic ${auth}`,
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        timeoutMs,
      });
      if (answer.status < 200 || answer.status > 299) {
        const code = jsonField(answer.json, 'code');
        const words = jsonField(answer.json, 'message');
        const detail = [code && `code ${code}`, words].filter(Boolean).join(': ');
        throw httpFailure('twilio', answer.status, detail);
      }
      const sid = jsonField(answer.json, 'sid');
      return sid === undefined ? {} : { providerId: sid };
    },
    async close() {},
  };
}
