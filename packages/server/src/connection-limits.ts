/**
 * At most N open connections from one remote address: a connection past the limit is closed
 * as soon as it is accepted, before any request on it is read. Slow or idle connections
 * each hold a socket and parser state until a timeout ends them; one client cannot hold
 * more than its share of them. A trusted reverse proxy carries every client's connections, so
 * its address can be exempted: it is counted but never refused (it must limit its clients).
 */
import type { Server } from 'node:net';
import { normalizeAddress } from './client-address';

/**
 * Default limit. Browsers open up to 6 connections to a host; a clinic's ~10 browsers behind
 * one NAT (or the demo, the tests and the benchmarks, all from 127.0.0.1) need ~60 at once,
 * and a central reached by several clinics through one carrier NAT a few more per node.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 128;

export interface ConnectionLimiter {
  /** Open connections per remote address, now. */
  open(): ReadonlyMap<string, number>;
  /** Connections accepted since the server started. */
  accepted(): number;
  /** Connections closed on arrival since the server started. */
  refused(): number;
}

export function limitConnectionsPerAddress(
  server: Server,
  max: number,
  exempt: readonly string[] = [],
): ConnectionLimiter {
  const exempted = new Set(exempt.map(normalizeAddress));
  const open = new Map<string, number>();
  let accepted = 0;
  let refused = 0;
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= max && !exempted.has(normalizeAddress(address))) {
      refused += 1;
      socket.destroy();
      return;
    }
    accepted += 1;
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
  return { open: () => open, accepted: () => accepted, refused: () => refused };
}
