/**
 * @clinic/web: the browser UI of a clinic node and of central, served by the node itself
 * at `/` (one HTML shell, one script, one style sheet; hash routes inside). The page only
 * talks to this node's own API, authenticated by the HttpOnly session cookie.
 */
import { Hono, type Context } from 'hono';
import { clientScript, styleSheet, type Asset } from './assets';
import { shell } from './shell';

export { clientScript, styleSheet } from './assets';

/**
 * Strict by default: scripts, styles and requests only from this node; no frames, no
 * inline script, no plugins. The page needs nothing else, offline or online.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function secureHeaders(c: Context): void {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
}

function serve(c: Context, a: Asset): Response {
  secureHeaders(c);
  c.header('ETag', a.etag);
  // Revalidate every time: a node upgraded in place must never run yesterday's script.
  c.header('Cache-Control', 'no-cache');
  c.header('Vary', 'Accept-Encoding');
  if (c.req.header('If-None-Match') === a.etag) return c.body(null, 304);
  c.header('Content-Type', a.type);
  if (/\bgzip\b/.test(c.req.header('Accept-Encoding') ?? '')) {
    c.header('Content-Encoding', 'gzip');
    return c.body(a.gzip);
  }
  return c.body(a.body);
}

export interface WebOptions {
  role: 'edge' | 'central';
}

export function webRoutes(opts: WebOptions): Hono {
  const app = new Hono({ strict: false });
  const html = shell(opts.role);
  app.get('/', (c) => {
    secureHeaders(c);
    c.header('Cache-Control', 'no-cache');
    return c.html(html);
  });
  app.get('/ui/app.js', async (c) => serve(c, await clientScript()));
  app.get('/ui/app.css', (c) => serve(c, styleSheet()));
  return app;
}
