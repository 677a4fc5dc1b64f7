/**
 * Local stand-ins for the SMS gateways, each a real HTTP server on 127.0.0.1 that checks a
 * request the way the real API does (path, method, auth header, content type, required
 * fields), answers in the real API's shapes, and records what it accepted.
 *
 * setFailure() turns a gateway bad until set back to 'none':
 * - '5xx': HTTP 500 (Africa's Talking, Twilio) or 503 (webhook), a transient failure;
 * - '4xx': the permanent refusal of a number as each API gives it: Africa's Talking answers
 *   201 with recipient statusCode 403 InvalidPhoneNumber, Twilio 400 with code 21211, the
 *   webhook 422 (each naming the number, as real gateways do, to test that errors are scrubbed);
 * - 'hang': takes the request and never answers (until close), for timeouts.
 * Requests refused by a failure mode or by validation are counted in `requests`, never in
 * `messages`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type FakeFailure = 'none' | '5xx' | '4xx' | 'hang';

export interface FakeGateway<M> {
  /**
   * Africa's Talking and Twilio: the base URL to configure (AT_BASE_URL, TWILIO_BASE_URL).
   * Webhook: the full endpoint URL (`webhook:<url>`).
   */
  readonly url: string;
  /** Messages the gateway accepted, in order. */
  readonly messages: M[];
  /** Every request received, accepted or not. */
  readonly requests: number;
  setFailure(mode: FakeFailure): void;
  /** Stops the server, dropping hung requests. Safe to call twice. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- Africa's Talking

export interface AfricasTalkingMessage {
  username: string;
  to: string;
  message: string;
  from?: string;
  messageId: string;
}

export interface FakeAfricasTalking extends FakeGateway<AfricasTalkingMessage> {
  readonly username: string;
  readonly apiKey: string;
}

export async function startFakeAfricasTalking(
  options: { username?: string; apiKey?: string } = {},
): Promise<FakeAfricasTalking> {
  const username = options.username ?? 'sandbox';
  const apiKey = options.apiKey ?? `atsk_${randomBytes(16).toString('hex')}`;
  const messages: AfricasTalkingMessage[] = [];
  const base = await startFake(async (req, res, failure) => {
    if (req.method !== 'POST' || pathOf(req) !== '/version1/messaging') {
      return text(res, 404, 'Not Found');
    }
    if (req.headers.apikey !== apiKey) {
      return text(res, 401, 'The supplied authentication is invalid');
    }
    if (!isContentType(req, 'application/x-www-form-urlencoded')) {
      return text(res, 415, 'Unsupported Media Type');
    }
    const form = new URLSearchParams(await readBody(req));
    if (form.get('username') !== username) {
      return text(res, 401, 'The supplied authentication is invalid');
    }
    for (const field of ['to', 'message']) {
      if (!form.get(field))
        return text(res, 400, `Request is missing required form field '${field}'`);
    }
    if (failure === '5xx') return text(res, 500, 'Internal Server Error');
    const to = form.get('to')!;
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    if (!wantsJson) {
      // Without Accept: application/json the API answers in XML.
      res.writeHead(201, { 'Content-Type': 'application/xml' });
      res.end('<AfricasTalkingResponse><SMSMessageData/></AfricasTalkingResponse>');
      return;
    }
    if (failure === '4xx' || !/^\+\d{7,15}$/.test(to)) {
      return json(res, 201, {
        SMSMessageData: {
          Message: 'Sent to 0/1 Total Cost: 0',
          Recipients: [
            {
              statusCode: 403,
              number: to,
              status: 'InvalidPhoneNumber',
              cost: '0',
              messageId: 'None',
            },
          ],
        },
      });
    }
    const messageId = `ATXid_${randomBytes(16).toString('hex')}`;
    const from = form.get('from') ?? undefined;
    messages.push({
      username,
      to,
      message: form.get('message')!,
      ...(from ? { from } : {}),
      messageId,
    });
    return json(res, 201, {
      SMSMessageData: {
        Message: 'Sent to 1/1 Total Cost: KES 0.8000',
        Recipients: [
          { statusCode: 101, number: to, status: 'Success', cost: 'KES 0.8000', messageId },
        ],
      },
    });
  });
  return Object.assign(base.gateway(messages), { username, apiKey });
}

// ---------------------------------------------------------------- Twilio

export interface TwilioMessage {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

export interface FakeTwilio extends FakeGateway<TwilioMessage> {
  readonly accountSid: string;
  readonly authToken: string;
}

export async function startFakeTwilio(
  options: { accountSid?: string; authToken?: string } = {},
): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const messages: TwilioMessage[] = [];
  const twilioError = (res: ServerResponse, status: number, code: number, message: string) =>
    json(res, status, {
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });
  const base = await startFake(async (req, res, failure) => {
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(pathOf(req));
    if (req.method !== 'POST' || !match) {
      return twilioError(res, 404, 20404, 'The requested resource was not found');
    }
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || decodeURIComponent(match[1]!) !== accountSid) {
      return twilioError(res, 401, 20003, 'Authenticate');
    }
    if (!isContentType(req, 'application/x-www-form-urlencoded')) {
      return twilioError(res, 415, 20415, 'Unsupported Media Type');
    }
    const form = new URLSearchParams(await readBody(req));
    const to = form.get('To');
    const from = form.get('From');
    const service = form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!from && !service)
      return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    if (!body) return twilioError(res, 400, 21602, 'Message body is required.');
    if (failure === '5xx') return twilioError(res, 500, 20500, 'Internal Server Error');
    if (failure === '4xx' || !/^\+\d{7,15}$/.test(to)) {
      return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    const sid = `SM${randomBytes(16).toString('hex')}`;
    messages.push({
      sid,
      to,
      body,
      ...(from ? { from } : {}),
      ...(service ? { messagingServiceSid: service } : {}),
    });
    return json(res, 201, {
      sid,
      account_sid: accountSid,
      to,
      from,
      messaging_service_sid: service,
      body,
      status: service ? 'accepted' : 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    });
  });
  return Object.assign(base.gateway(messages), { accountSid, authToken });
}

// ---------------------------------------------------------------- webhook

export interface WebhookMessage {
  id: string;
  to: string;
  text: string;
  idempotencyKey: string;
}

export interface FakeWebhook extends FakeGateway<WebhookMessage> {
  /** Requests whose Idempotency-Key was seen before: answered with the first id, not kept. */
  readonly duplicates: number;
}

/** A webhook at `<url>` (path /sms); with `token`, requests need `Authorization: Bearer <token>`. */
export async function startFakeWebhook(options: { token?: string } = {}): Promise<FakeWebhook> {
  const messages: WebhookMessage[] = [];
  const byKey = new Map<string, WebhookMessage>();
  let duplicates = 0;
  const base = await startFake(async (req, res, failure) => {
    if (req.method !== 'POST' || pathOf(req) !== '/sms')
      return json(res, 404, { error: 'not found' });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return json(res, 401, { error: 'unauthorized' });
    }
    if (!isContentType(req, 'application/json')) {
      return json(res, 415, { error: 'expected application/json' });
    }
    let payload: { to?: unknown; text?: unknown; idempotency_key?: unknown };
    try {
      payload = JSON.parse(await readBody(req)) as typeof payload;
    } catch {
      return json(res, 400, { error: 'invalid JSON' });
    }
    const key = req.headers['idempotency-key'];
    if (typeof payload.to !== 'string' || typeof payload.text !== 'string' || !payload.text) {
      return json(res, 400, { error: 'to and text are required' });
    }
    if (typeof key !== 'string' || !key || payload.idempotency_key !== key) {
      return json(res, 400, { error: 'Idempotency-Key header must match idempotency_key' });
    }
    if (failure === '5xx') return json(res, 503, { error: 'temporarily unavailable' });
    if (failure === '4xx') return json(res, 422, { error: `number ${payload.to} rejected` });
    const seen = byKey.get(key);
    if (seen) {
      duplicates++;
      return json(res, 200, { id: seen.id, duplicate: true });
    }
    const message = {
      id: `wh_${randomBytes(8).toString('hex')}`,
      to: payload.to,
      text: payload.text,
      idempotencyKey: key,
    };
    byKey.set(key, message);
    messages.push(message);
    return json(res, 200, { id: message.id });
  });
  return Object.defineProperty(base.gateway(messages, '/sms'), 'duplicates', {
    get: () => duplicates,
    enumerable: true,
  }) as FakeWebhook;
}

// ---------------------------------------------------------------- the shared server

type Handler = (req: IncomingMessage, res: ServerResponse, failure: FakeFailure) => Promise<void>;

async function startFake(handler: Handler) {
  let failure: FakeFailure = 'none';
  let requests = 0;
  let closed: Promise<void> | undefined;
  const server: Server = createServer((req, res) => {
    requests++;
    if (failure === 'hang') return; // never answered; close() drops the connection
    handler(req, res, failure).catch(() => {
      if (!res.headersSent) text(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fake gateway: no address');
  const url = `http://127.0.0.1:${address.port}`;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  return {
    /** The gateway's public face; `path` is appended to the URL it shows. */
    gateway<M>(messages: M[], path = ''): FakeGateway<M> {
      return {
        url: `${url}${path}`,
        messages,
        get requests() {
          return requests;
        },
        setFailure(mode: FakeFailure) {
          failure = mode;
        },
        close,
      };
    },
  };
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://fake').pathname;
}

function isContentType(req: IncomingMessage, type: string): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === type;
}

async function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(body);
}
