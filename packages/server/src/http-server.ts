/**
 * Serves a Hono app on Node's HTTP server and shuts down cleanly: stop accepting,
 * let requests in flight finish (bounded), then close the store.
 */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and waits for open requests (at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

export async function listen(
  app: Pick<Hono, 'fetch'>,
  options: { port: number; host: string },
): Promise<RunningServer> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    url: `http://${hostForUrl}:${address.port}`,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const s = server as unknown as { closeAllConnections?: () => void };
          s.closeAllConnections?.();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        const s = server as unknown as { closeIdleConnections?: () => void };
        s.closeIdleConnections?.();
      });
      return closing;
    },
  };
}
