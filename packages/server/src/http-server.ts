/**
 * Serves a Hono app on Node's HTTP server and shuts down cleanly: stop accepting,
 * let requests in flight finish (bounded), then close the store.
 *
 * Transport limits, the same for every route (API, sync, web UI):
 * - a request's headers must arrive within 30 s and the whole request within 60 s (Node's
 *   default is 300 s for both). The largest request that crosses a slow link is a node's
 *   gzip push, ~20 KB: ~5 s at 32 kbit/s, the worst a 2G (GPRS) link gives; 60 s leaves
 *   room for a 200 KB push there. The time to answer is not limited (shape long-polls).
 * - at most 128 open connections per remote address (connection-limits.ts), except from the
 *   addresses in `exemptAddresses` (trusted reverse proxies);
 * - an early answer waits until the rest of the body is read and discarded, up to 32 MB
 *   (request-drain.ts), so keep-alive connections survive a 413, 401 or 415.
 */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  limitConnectionsPerAddress,
  type ConnectionLimiter,
} from './connection-limits';
import { DEFAULT_DRAIN_LIMIT_BYTES, drainBeforeAnswer } from './request-drain';

/** Transport limits of one server; tests shorten them. */
export interface HttpLimits {
  /** Time to receive a request's headers (Node's `headersTimeout`). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body (Node's `requestTimeout`). */
  requestTimeoutMs: number;
  /** Open connections one remote address may hold; the next one is closed on arrival. */
  maxConnectionsPerAddress: number;
  /** Addresses without that limit: trusted reverse proxies, which carry every client's. */
  exemptAddresses: readonly string[];
  /** Most bytes of an unread body discarded after an early answer to keep the connection. */
  drainLimitBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  maxConnectionsPerAddress: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  exemptAddresses: [],
  drainLimitBytes: DEFAULT_DRAIN_LIMIT_BYTES,
};

export interface RunningServer {
  url: string;
  port: number;
  /** Open, accepted and refused connections (per-address limit). */
  connections: ConnectionLimiter;
  /** Node's server underneath (tests watch its sockets). */
  http: Server;
  /** Stops accepting connections and waits for open requests (at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

export async function listen(
  app: Pick<Hono, 'fetch'>,
  options: { port: number; host: string; limits?: Partial<HttpLimits> },
): Promise<RunningServer> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const requestTimeout = limits.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(limits.headersTimeoutMs, requestTimeout);
  const { server, connections } = await new Promise<{
    server: ReturnType<typeof serve>;
    connections: ConnectionLimiter;
  }>((resolve, reject) => {
    const s = serve(
      {
        fetch: drainBeforeAnswer(app.fetch, limits.drainLimitBytes),
        port: options.port,
        hostname: options.host,
        serverOptions: {
          headersTimeout,
          requestTimeout,
          // How often Node looks for timed-out requests (its default, 30 s, would let a
          // 30 s timeout run to 60 s).
          connectionsCheckingInterval: Math.max(10, Math.floor(headersTimeout / 6)),
        },
      },
      () => resolve({ server: s, connections: limiter }),
    );
    // serve() has only just called listen(): no connection has been accepted yet.
    const limiter = limitConnectionsPerAddress(
      s,
      limits.maxConnectionsPerAddress,
      limits.exemptAddresses,
    );
    s.once('error', reject);
  });
  const http = server as Server; // serve() makes an HTTP/1 server unless told otherwise
  const address = http.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    url: `http://${hostForUrl}:${address.port}`,
    connections,
    http,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => http.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        http.closeIdleConnections();
      });
      return closing;
    },
  };
}
