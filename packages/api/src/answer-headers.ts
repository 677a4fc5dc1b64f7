/**
 * Headers on every API answer and on /healthz, errors included: `Cache-Control: no-store`
 * (answers hold patient data: no shared cache, proxy or browser history may keep them) and
 * `X-Content-Type-Options: nosniff` (a browser takes the declared type and never sniffs a
 * JSON answer into HTML or script). Registered ahead of every other /api/* middleware, so
 * the answers of bodyLimit (413), the media-type check (415), notFound and onError carry
 * them too. The web UI's assets (packages/web) keep their own ETag caching.
 */
import { createMiddleware } from 'hono/factory';

const HEADERS = [
  ['Cache-Control', 'no-store'],
  ['X-Content-Type-Options', 'nosniff'],
] as const;

export const answerHeaders = createMiddleware(async (c, next) => {
  // Set ahead, they go into every answer the context builds (c.json, the error handler's).
  for (const [name, value] of HEADERS) c.header(name, value);
  await next();
  // An answer built as a bare Response (not through the context) gets them here.
  if (c.res.headers.get('X-Content-Type-Options') !== 'nosniff') {
    for (const [name, value] of HEADERS) c.header(name, value);
  }
});
