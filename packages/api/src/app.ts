/**
 * The HTTP API, written once and served by both the clinic node and central.
 * `createApp(deps)` builds a fresh Hono app from injected dependencies.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { HTTPException } from 'hono/http-exception';
import { answerHeaders } from './answer-headers';
import { authenticate } from './auth-middleware';
import type { ApiDeps } from './deps';
import type { AppEnv } from './env';
import { createErrorHandler, MESSAGES } from './http-errors';
import { ApiDocs } from './openapi';
import { appointmentRoutes } from './routes/appointments';
import { authRoutes } from './routes/auth';
import { facilityRoutes, patientRoutes, userRoutes } from './routes/directory';
import { conflictRoutes, nodeRoutes, syncRoutes } from './routes/sync';
import { notificationRoutes } from './routes/notifications';
import { systemRoutes } from './routes/system';
import { refuseControlCharacters } from './text-guard';

export const MAX_BODY_BYTES = 1024 * 1024;
const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

export interface CreatedApp {
  app: Hono<AppEnv>;
  docs: ApiDocs;
}

export function createApp(deps: ApiDeps): CreatedApp {
  // strict: false makes every path answer with and without its trailing slash.
  const app = new Hono<AppEnv>({ strict: false });
  const docs = new ApiDocs();

  app.onError(createErrorHandler(deps.logger));
  app.notFound((c) => c.json({ detail: MESSAGES.notFound }, 404));

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    // The path only: query strings can hold search terms (patient names).
    deps.logger.debug(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  app.use('/api/*', answerHeaders);
  app.use('/healthz', answerHeaders);

  // Lists can be large (a week's schedule is ~290 KB of JSON, ~20 KB gzipped) and clinics
  // and admins may sit behind 2G-class links: GET answers over 1 KB are gzipped for clients
  // that ask. Writes are small and stay as they are.
  const gzip = compress({ encoding: 'gzip', threshold: 1024 });
  app.use('/api/*', (c, next) => (c.req.method === 'GET' ? gzip(c, next) : next()));

  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ detail: MESSAGES.tooLarge }, 413),
    }),
  );

  // Bodies must be JSON; an empty body (e.g. POST .../cancel/) is fine.
  app.use('/api/*', async (c, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(c.req.method)) {
      const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim() ?? '';
      const length = c.req.header('Content-Length');
      const hasBody =
        (length !== undefined && length !== '0') || c.req.header('Transfer-Encoding') !== undefined;
      if (hasBody && !JSON_MEDIA.test(type)) {
        throw new HTTPException(415, {
          message: `Unsupported media type "${type.slice(0, 64)}" in request.`,
        });
      }
    }
    await next();
  });

  app.use('/api/*', refuseControlCharacters);

  app.route('/', systemRoutes(deps, docs));
  app.route('/api/v1/auth', authRoutes(deps, docs));

  const auth = authenticate(deps);
  app.use('/api/v1/facilities/*', auth);
  app.use('/api/v1/users/*', auth);
  app.use('/api/v1/patients/*', auth);
  app.use('/api/v1/appointments/*', auth);
  app.route('/api/v1/facilities', facilityRoutes(deps, docs));
  app.route('/api/v1/users', userRoutes(deps, docs));
  app.route('/api/v1/patients', patientRoutes(deps, docs));
  app.route('/api/v1/appointments', appointmentRoutes(deps, docs));
  app.use('/api/v1/conflicts/*', auth);
  app.use('/api/v1/nodes/*', auth);
  app.use('/api/v1/sync/*', auth);
  app.use('/api/v1/notifications/*', auth);
  app.route('/api/v1/conflicts', conflictRoutes(deps, docs));
  app.route('/api/v1/notifications', notificationRoutes(deps, docs));
  if (deps.nodes) app.route('/api/v1/nodes', nodeRoutes(deps, docs));
  app.route('/api/v1/sync', syncRoutes(deps, docs));

  return { app, docs };
}
