/**
 * Central's sync endpoints (sync/SPEC.md): `GET /sync/v{n}/enrollment`, `POST
 * /sync/v{n}/push`, and the shape server mounted at `/sync/v{n}/shape`, for the current
 * protocol version and the previous one. Every request carries a node token.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import {
  PREVIOUS_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type EnrollmentResponse,
  type PushResult,
} from '../protocol';
import type { NodeRecord } from './node-ports';
import type { NodeService } from './nodes';
import { readPushBody } from './push-body';
import { parsePushRequest } from './push-request';
import type { Reconciler } from './reconciler';
import type { CentralSyncStore } from './node-ports';
import { queryTextProblems, type Clock } from '@clinic/domain';

export interface CentralSyncRouteDeps {
  nodes: NodeService;
  sync: CentralSyncStore;
  reconciler: Reconciler;
  clock: Clock;
  /** Central's node id and the public keys that verify its access tokens. */
  central: { nodeId: string; jwks: () => { keys: object[] } };
  /**
   * The shape server (Electric Shape protocol), mounted at /sync/v{n}/shape. It must
   * authenticate the node itself: it is served ahead of this router's token check.
   */
  shape?: Hono;
  /** Largest push body accepted, in bytes. */
  maxBodyBytes?: number;
}

type Env = { Variables: { node: NodeRecord } };

const unauthorized = (c: Context) =>
  c.json({ detail: 'Invalid or revoked node token.' }, 401, { 'www-authenticate': 'Bearer' });

export function centralSyncRoutes(deps: CentralSyncRouteDeps): Hono {
  const root = new Hono({ strict: false });
  // Mounted at '/': scope the middleware to the sync paths, or it would wrap the whole API.
  root.use('/sync/*', compress());
  // No query parameter (the shape server reads several) may carry control characters.
  root.use('/sync/*', async (c, next) => {
    const problems = queryTextProblems(c.req.url);
    if (Object.keys(problems).length > 0) return c.json(problems, 400);
    await next();
  });

  for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
    const app = new Hono<Env>({ strict: false });
    app.use('*', async (c, next) => {
      const node = await deps.nodes.authenticate(c.req.header('authorization'));
      if (!node) return unauthorized(c);
      c.set('node', node);
      await next();
    });

    app.get('/enrollment', (c) => {
      const node = c.get('node');
      const body: EnrollmentResponse = {
        protocol_version: version,
        supported_versions: [...SUPPORTED_PROTOCOL_VERSIONS],
        node: { id: node.id, name: node.name, facilities: node.facilities },
        central: {
          node_id: deps.central.nodeId,
          keys: deps.central.jwks() as EnrollmentResponse['central']['keys'],
        },
        last_applied_seq: node.last_seq,
      };
      return c.json(body);
    });

    app.post(
      '/push',
      bodyLimit({
        maxSize: deps.maxBodyBytes ?? 8 * 1024 * 1024,
        onError: (c) => c.json({ detail: 'Push batch too large.' }, 413),
      }),
      async (c) => {
        const node = c.get('node');
        // Nodes gzip their batches (2G links): about 100 bytes a mutation instead of 1 KB.
        const body = await readPushBody(c.req.raw);
        if (!body.ok) return c.json({ detail: body.detail }, body.status);
        const raw = body.value;
        const parsed = parsePushRequest(version, raw);
        if (!parsed.ok) {
          return c.json({ detail: 'Invalid push request.', errors: parsed.errors }, 400);
        }
        const { push } = parsed;
        if (push.node_id !== node.id) {
          return c.json({ detail: 'node_id does not match the token.' }, 403);
        }
        const results = await deps.reconciler.push(node, push.items);
        const fresh = await deps.sync.getNode(node.id);
        const lastApplied = fresh?.last_seq ?? node.last_seq;
        // The node's backlog counts this batch: what it has left once it reads this answer
        // is the rest, so a node that caught up shows 0 (not its last batch's size).
        const answered = results.filter((r) => r.outcome !== 'deferred').length;
        await deps.sync.notePush(node.id, {
          at: deps.clock.now(),
          backlog: push.backlog === undefined ? null : Math.max(0, push.backlog - answered),
          protocol_version: version,
          last_error: null,
        });
        if (version >= PREVIOUS_PROTOCOL_VERSION) {
          return c.json({
            protocol_version: version,
            last_applied_seq: lastApplied,
            results,
            central_keys: deps.central.jwks(),
          });
        }
        // Version 1 answers have no rows.
        return c.json({
          protocol_version: version,
          last_applied_seq: lastApplied,
          results: results.map(({ row: _row, ...rest }: PushResult) => rest),
        });
      },
    );

    // The shape server authenticates each request itself (and records the pull), so it is
    // mounted ahead of this app's middleware: one token lookup per request, not two.
    if (deps.shape) root.route(`/sync/v${version}/shape`, deps.shape);
    root.route(`/sync/v${version}`, app);
  }
  return root;
}
