/**
 * Reads and discards what is left of a request body before the answer goes out, so an early
 * answer (413, 401, 403, 415 to a body nobody read) leaves a keep-alive connection usable.
 *
 * Why: once anything opened the body stream without reading it to the end (hono's
 * bodyLimit touches `c.req.raw.body` on every /api/* request; a gzip push cancelled at
 * its bound), the stream's web adapter keeps the IncomingMessage paused. After the answer,
 * @hono/node-server drains it for at most 500 ms (DRAIN_TIMEOUT_MS), but the paused
 * adapter stops that drain, so the socket is destroyed while the answer said
 * "Connection: keep-alive", and the client's next request on it fails. Answering with
 * "Connection: close" alone is no better: the client's upload then fails (EPIPE) before it
 * reads the answer.
 *
 * Why here: the fetch wrapper in `listen` is the one layer that sees every route (API, sync
 * push and shapes, web UI) with its IncomingMessage, after the app has decided and before
 * node-server writes the answer. A Hono middleware would have to be registered on each app
 * and could not see answers made by an error handler outside it.
 *
 * Beyond `limit` bytes (or a declared Content-Length beyond it), nothing more is read: the
 * answer carries "Connection: close" and the connection ends after it. A client that never
 * sends the rest is ended by the server's request timeout (http-server.ts).
 */
import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import { IncomingMessage, ServerResponse } from 'node:http';

/** Most bytes read and discarded after an early answer: 4x the largest body accepted (8 MB). */
export const DEFAULT_DRAIN_LIMIT_BYTES = 32 * 1024 * 1024;

/** True when nothing of the request body is left unread. */
function fullyRead(incoming: IncomingMessage): boolean {
  return incoming.readableEnded || (incoming.complete && incoming.readableLength === 0);
}

/**
 * Reads the rest of the body and throws it away. Resolves true once the body ended, false
 * when the connection cannot be kept: the body passes `limit`, or the connection closed.
 */
export function drainRequestBody(incoming: IncomingMessage, limit: number): Promise<boolean> {
  if (fullyRead(incoming)) return Promise.resolve(true);
  if (incoming.destroyed) return Promise.resolve(false);
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let read = 0;
    const finish = (kept: boolean) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('close', onClose);
      incoming.off('error', onClose);
      if (!kept) incoming.pause();
      resolve(kept);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limit) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(incoming.readableEnded);
    // The web-stream adapter's listener would enqueue every chunk and pause the stream
    // again; the answer is made, so nobody reads that stream any more.
    incoming.removeAllListeners('data');
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('close', onClose);
    incoming.once('error', onClose);
    incoming.resume();
  });
}

/** Wraps an app's fetch so that every answer waits for the request body to be drained. */
export function drainBeforeAnswer<E extends HttpBindings | Http2Bindings>(
  fetch: (request: Request, env: E) => Response | Promise<Response>,
  limit: number,
): (request: Request, env: E) => Promise<Response> {
  return async (request, env) => {
    const response = await fetch(request, env);
    const { incoming, outgoing } = env;
    if (!(incoming instanceof IncomingMessage) || !(outgoing instanceof ServerResponse)) {
      return response; // HTTP/2 streams end on their own
    }
    if (!fullyRead(incoming) && !(await drainRequestBody(incoming, limit))) {
      outgoing.setHeader('Connection', 'close');
    }
    return response;
  };
}
