/**
 * A real SMTP server on 127.0.0.1 for tests (smtp-server): no auth, no TLS (STARTTLS is not
 * offered), every message kept in `messages` with its envelope, Message-ID, subject and the
 * decoded text and HTML parts (a small MIME reader: enough for what nodemailer writes, not a
 * general parser).
 *
 * stop() drops the server and every open connection at once (the client sees a reset, as
 * when a mail server goes down); start() listens again on the SAME port. `onMessage` runs
 * after a message is fully received and stored but before the server answers 250, so a test
 * can kill the sender in that window. setFailure() makes RCPT TO answer 450 or 550.
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream } from 'smtp-server';

/** One received message. Header names in `headers` are lower case. */
export interface SinkMessage {
  /** The Message-ID header as sent, angle brackets included ('' when absent). */
  messageId: string;
  /** The first envelope recipient (RCPT TO). */
  to: string;
  /** Every envelope recipient. */
  recipients: string[];
  /** The envelope sender (MAIL FROM). */
  from: string;
  /** The decoded Subject header. */
  subject: string;
  /** The decoded text/plain part ('' when none). */
  text: string;
  /** The decoded text/html part ('' when none). */
  html: string;
  headers: Map<string, string>;
  raw: string;
  receivedAt: number;
}

export type SinkFailure = 'none' | '4xx' | '5xx';

export interface SmtpSink {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly running: boolean;
  /** Every message received since the start (survives stop/start). */
  readonly messages: SinkMessage[];
  /** Called with each message before the 250; a throw answers 451 instead. */
  onMessage: ((message: SinkMessage) => void | Promise<void>) | undefined;
  /** '4xx': RCPT TO gets 450; '5xx': 550 (naming the address, as real servers do). */
  setFailure(mode: SinkFailure): void;
  /** The first message (already received or to come) that matches, or a rejection at timeout. */
  waitFor(predicate: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /** Stops listening and resets every open connection. Safe to call twice. */
  stop(): Promise<void>;
  /** Listens again on the same port (after stop). */
  start(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Defaults to any free port (kept across stop/start). */
  port?: number;
  onMessage?: (message: SinkMessage) => void | Promise<void>;
}

type Waiter = {
  predicate: (message: SinkMessage) => boolean;
  resolve: (message: SinkMessage) => void;
};

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters = new Set<Waiter>();
  let failure: SinkFailure = 'none';
  let server: SMTPServer | undefined;
  let sockets = new Set<Socket>();
  let port = options.port ?? 0;

  function withCode(message: string, responseCode: number): Error {
    return Object.assign(new Error(message), { responseCode });
  }

  function record(message: SinkMessage): void {
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  }

  function create(): SMTPServer {
    return new SMTPServer({
      name: 'smtp-sink.test',
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      hideSTARTTLS: true,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 1_000,
      onRcptTo(address: SMTPServerAddress, _session, callback) {
        if (failure === '4xx') {
          return callback(withCode('4.2.0 Mailbox temporarily unavailable, try again later', 450));
        }
        if (failure === '5xx') {
          return callback(
            withCode(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`, 550),
          );
        }
        callback();
      },
      onData(stream: SMTPServerDataStream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const parsed = parseMessage(raw);
          const recipients = session.envelope.rcptTo.map((a) => a.address);
          const mailFrom = session.envelope.mailFrom;
          const message: SinkMessage = {
            ...parsed,
            to: recipients[0] ?? '',
            recipients,
            from: mailFrom ? mailFrom.address : '',
            raw: raw.toString('utf8'),
            receivedAt: Date.now(),
          };
          record(message);
          const hook = sink.onMessage;
          Promise.resolve()
            .then(() => hook?.(message))
            .then(
              () => callback(null, `OK: queued as ${messages.length}`),
              () => callback(withCode('4.3.0 Sink hook failed', 451)),
            );
        });
      },
    });
  }

  async function start(): Promise<void> {
    if (server) return;
    const next = create();
    next.on('error', () => {
      // Connection errors (a client that vanished mid-session) are expected in these tests.
    });
    const connections = new Set<Socket>();
    next.server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      next.server.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.server.off('error', reject);
        resolve();
      });
    });
    const address = next.server.address();
    if (address && typeof address === 'object') port = address.port;
    server = next;
    sockets = connections;
  }

  async function stop(): Promise<void> {
    const current = server;
    if (!current) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.resetAndDestroy();
    await closed;
  }

  const sink: SmtpSink = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get running() {
      return server !== undefined;
    },
    messages,
    onMessage: options.onMessage,
    setFailure(mode) {
      failure = mode;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<SinkMessage>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`smtp-sink: no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop,
    start,
  };
  await start();
  return sink;
}

// ---------------------------------------------------------------- a small MIME reader

interface ParsedMessage {
  messageId: string;
  subject: string;
  text: string;
  html: string;
  headers: Map<string, string>;
}

/** Headers, Message-ID, subject and the first text/plain and text/html parts of a message. */
export function parseMessage(raw: Buffer): ParsedMessage {
  const root = parseEntity(raw.toString('latin1'));
  // DATA ends with a line break that is the end of the transfer, not of a single-part body.
  if (root.parts.length === 0) root.body = root.body.replace(/\r?\n$/, '');
  const leaves: Entity[] = [];
  collectLeaves(root, leaves);
  const isAttachment = (e: Entity) =>
    (e.headers.get('content-disposition') ?? '').startsWith('attachment');
  const text = leaves.find((e) => e.type === 'text/plain' && !isAttachment(e));
  const html = leaves.find((e) => e.type === 'text/html' && !isAttachment(e));
  return {
    messageId: (root.headers.get('message-id') ?? '').trim(),
    subject: decodeWords(root.headers.get('subject') ?? ''),
    text: text ? decodeBody(text) : '',
    html: html ? decodeBody(html) : '',
    headers: root.headers,
  };
}

/** A MIME entity; strings hold bytes as latin1 characters until decoded. */
interface Entity {
  headers: Map<string, string>;
  type: string;
  params: Map<string, string>;
  body: string;
  parts: Entity[];
}

function parseEntity(source: string): Entity {
  const split = /\r?\n\r?\n/.exec(source);
  const head = split ? source.slice(0, split.index) : source;
  const body = split ? source.slice(split.index + split[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const [type, params] = parseContentType(headers.get('content-type') ?? 'text/plain');
  const entity: Entity = { headers, type, params, body, parts: [] };
  const boundary = params.get('boundary');
  if (type.startsWith('multipart/') && boundary) {
    const delimiter = `--${boundary}`;
    const sections = body.split(new RegExp(`\\r?\\n?${escapeRegExp(delimiter)}`));
    // sections[0] is the preamble; the part after the closing "--boundary--" starts with "--".
    for (const section of sections.slice(1)) {
      if (section.startsWith('--')) break;
      entity.parts.push(parseEntity(section.replace(/^[ \t]*\r?\n/, '')));
    }
  }
  return entity;
}

function parseContentType(value: string): [string, Map<string, string>] {
  const [type = 'text/plain', ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    params.set(
      name,
      param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  return [type.trim().toLowerCase(), params];
}

function collectLeaves(entity: Entity, out: Entity[]): void {
  if (entity.parts.length === 0) out.push(entity);
  for (const part of entity.parts) collectLeaves(part, out);
}

function decodeBody(entity: Entity): string {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(entity.body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(entity.body);
  else bytes = Buffer.from(entity.body, 'latin1');
  return decodeCharset(bytes, entity.params.get('charset') ?? 'us-ascii');
}

function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i]!;
    const hex = joined.slice(i + 1, i + 3);
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(ch.charCodeAt(0) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase() === 'us-ascii' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * A header value (read as latin1 bytes) as text: raw UTF-8 (SMTPUTF8) decoded, then RFC 2047
 * encoded words ("=?UTF-8?Q?...?=", "=?UTF-8?B?...?="), the whitespace between two dropped.
 */
function decodeWords(value: string): string {
  const text = Buffer.from(value, 'latin1').toString('utf8');
  return text
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(
      /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
      (_all, charset: string, kind: string, data: string) => {
        const bytes =
          kind.toUpperCase() === 'B'
            ? Buffer.from(data, 'base64')
            : decodeQuotedPrintable(data.replace(/_/g, ' '));
        return decodeCharset(bytes, charset);
      },
    );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
