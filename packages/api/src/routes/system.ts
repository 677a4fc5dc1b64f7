/** /healthz, the OpenAPI document and a docs page that loads nothing from outside. */
import { Hono } from 'hono';
import type { ApiDeps } from '../deps';
import type { AppEnv } from '../env';
import type { ApiDocs } from '../openapi';
import { DOCS_PAGE } from './docs-page';

export function systemRoutes(deps: ApiDeps, docs: ApiDocs) {
  const app = new Hono<AppEnv>();
  let spec: Record<string, unknown> | undefined;

  app.get('/healthz', async (c) => {
    try {
      await deps.store.ping();
      return c.json({
        status: 'ok',
        role: deps.node.role,
        node: deps.node.id,
        database: deps.store.kind,
        version: deps.node.version,
      });
    } catch (err) {
      deps.logger.error({ err }, 'health check failed');
      return c.json({ status: 'unavailable', role: deps.node.role }, 503);
    }
  });

  app.get('/api/v1/openapi.json', (c) => {
    spec ??= docs.document({
      title: `Clinic scheduling API (${deps.node.role})`,
      version: deps.node.version,
      description:
        'Appointments between patients and health workers, served by clinic nodes (SQLite) and central (PostgreSQL). Errors use the Django REST framework shapes: {field: [messages]} or {detail: message}.',
    });
    return c.json(spec);
  });

  app.get('/api/v1/docs', (c) => {
    // frame-ancestors and X-Frame-Options: no other page may frame this one (clickjacking).
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    c.header('X-Frame-Options', 'DENY');
    return c.html(DOCS_PAGE);
  });

  return app;
}
