/**
 * A TCP proxy on 127.0.0.1 that a test can cut and heal, to play the flaky link between a
 * clinic node and central with real processes on both ends. Each edge talks to central
 * through its own proxy, so one clinic can go offline while the others stay connected.
 *
 * cut() destroys every open connection in both directions with a TCP reset and, until
 * heal(), accepts new connections only to reset them at once (the client sees ECONNRESET,
 * as when a route drops). cut('hang') instead stalls traffic without closing anything (a
 * black hole: the client waits for its own timeout); heal() then resets the stalled
 * connections so nothing half-delivered survives the partition.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How a cut looks from both ends: an immediate reset, or silence until healed. */
export type CutMode = 'reset' | 'hang';

export interface TcpProxyStats {
  /** Connections accepted since the start (forwarded, dropped or held). */
  connections: number;
  /** Of those, connections forwarded to the target. */
  forwarded: number;
  /** Of those, connections reset on arrival because the link was cut or closing. */
  dropped: number;
  /** Client connections open right now. */
  open: number;
}

export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: what to give a client as its server's address. */
  readonly url: string;
  /** The port new connections are forwarded to. */
  readonly targetPort: number;
  /** Whether the link is cut right now. */
  readonly isCut: boolean;
  /** Live counters. */
  readonly stats: TcpProxyStats;
  /** Breaks the link (see the module comment); idempotent. */
  cut(mode?: CutMode): void;
  /** Restores the link; new connections are forwarded again. Idempotent. */
  heal(): void;
  /** Forwards new connections to another port (a target restarted elsewhere). */
  setTarget(port: number): void;
  /** Resets every connection and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  targetPort: number;
  /** Defaults to 127.0.0.1. */
  targetHost?: string;
  /** Port to listen on; defaults to any free port. */
  port?: number;
}

interface Link {
  client: Socket;
  /** Undefined while held by a 'hang' cut before it was ever forwarded. */
  upstream?: Socket;
}

function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Starts a proxy listening on 127.0.0.1 that forwards to `targetHost:targetPort`. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  let targetPort = options.targetPort;
  let mode: CutMode | null = null;
  let closing = false;
  const links = new Set<Link>();
  const stats: TcpProxyStats = { connections: 0, forwarded: 0, dropped: 0, open: 0 };

  const resetLink = (link: Link) => {
    reset(link.client);
    if (link.upstream) reset(link.upstream);
  };

  const forward = (link: Link) => {
    const { client } = link;
    const upstream = connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    link.upstream = upstream;
    stats.forwarded += 1;
    // The target being down looks to the client like the link being down. A clean close
    // (both directions ended) lets what is still buffered for the client drain first.
    upstream.on('error', () => resetLink(link));
    upstream.once('close', (hadError) => {
      if (hadError) resetLink(link);
      else client.destroySoon();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const hold = (link: Link) => {
    link.client.unpipe();
    link.client.pause();
    if (link.upstream) {
      link.upstream.unpipe();
      link.upstream.pause();
    }
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    stats.connections += 1;
    const link: Link = { client };
    client.on('error', () => {
      if (link.upstream) reset(link.upstream);
    });
    if (closing || mode === 'reset') {
      stats.dropped += 1;
      reset(client);
      return;
    }
    links.add(link);
    stats.open += 1;
    client.once('close', (hadError) => {
      links.delete(link);
      stats.open -= 1;
      if (!link.upstream) return;
      if (hadError) reset(link.upstream);
      else link.upstream.destroySoon();
    });
    if (mode === 'hang') hold(link);
    else forward(link);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };

  let closed: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get targetPort() {
      return targetPort;
    },
    get isCut() {
      return mode !== null;
    },
    stats,
    cut(how: CutMode = 'reset') {
      mode = how;
      for (const link of links) {
        if (how === 'reset') resetLink(link);
        else hold(link);
      }
    },
    heal() {
      if (mode === 'hang') for (const link of links) resetLink(link);
      mode = null;
    },
    setTarget(next: number) {
      targetPort = next;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        for (const link of links) resetLink(link);
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
