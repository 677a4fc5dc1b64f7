/**
 * The notification benchmark's mail server, run as its own process (bench/lib/smtp-sink.ts
 * forks it) so that receiving mail never runs on the load generator's event loop: a real
 * SMTP server (smtp-server) on 127.0.0.1, no auth, no TLS, that accepts every message and
 * keeps only its Message-ID header and the wall-clock time it arrived.
 *
 * Talks to its parent over the IPC channel: `{type: 'ready', port}` once listening; a
 * `{type: 'stats', id, ...}` request is answered with counts (see SinkStats); `reset`
 * forgets everything received. Exits when the parent goes away.
 */
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import type { SinkReply, SinkRequest, SinkStats } from './smtp-sink';

/** Only the header block is kept to find the Message-ID; the body is read and dropped. */
const HEADER_LIMIT = 64 * 1024;

let arrivals: number[] = [];
let messageIds = new Map<string, number>();
let withoutId = 0;

function messageIdOf(head: string): string | undefined {
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  return /^message-id:\s*(\S.*?)\s*$/im.exec(unfolded)?.[1];
}

function record(head: string): void {
  arrivals.push(Date.now());
  const id = messageIdOf(head);
  if (id === undefined) withoutId += 1;
  else messageIds.set(id, (messageIds.get(id) ?? 0) + 1);
}

function stats(req: Extract<SinkRequest, { type: 'stats' }>): SinkStats {
  let duplicates = 0;
  for (const n of messageIds.values()) duplicates += n - 1;
  const inRange =
    req.fromMs === undefined
      ? undefined
      : arrivals.filter((t) => t >= (req.fromMs ?? 0) && t <= (req.toMs ?? Infinity)).length;
  return {
    received: arrivals.length,
    distinctIds: messageIds.size,
    duplicates,
    withoutId,
    firstAt: arrivals[0] ?? null,
    lastAt: arrivals[arrivals.length - 1] ?? null,
    nthAt: req.nth === undefined ? null : (arrivals[req.nth - 1] ?? null),
    inRange: inRange ?? null,
  };
}

const server = new SMTPServer({
  name: 'bench-sink.localhost',
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  hideSTARTTLS: true,
  disableReverseLookup: true,
  logger: false,
  onData(stream: SMTPServerDataStream, _session, callback) {
    let head = '';
    let headDone = false;
    stream.on('data', (chunk: Buffer) => {
      if (headDone) return;
      head += chunk.toString('latin1');
      const end = head.search(/\r?\n\r?\n/);
      if (end >= 0) {
        head = head.slice(0, end);
        headDone = true;
      } else if (head.length > HEADER_LIMIT) {
        headDone = true;
      }
    });
    stream.on('end', () => {
      record(head);
      callback(null, `OK: queued as ${arrivals.length}`);
    });
  },
});
server.on('error', () => {
  // A client that vanished mid-session; nothing to do.
});

const send = (reply: SinkReply) => process.send?.(reply);

process.on('message', (req: SinkRequest) => {
  if (req.type === 'reset') {
    arrivals = [];
    messageIds = new Map();
    withoutId = 0;
    send({ type: 'reset', id: req.id });
  } else if (req.type === 'stats') {
    send({ type: 'stats', id: req.id, stats: stats(req) });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  send({ type: 'ready', port });
});
