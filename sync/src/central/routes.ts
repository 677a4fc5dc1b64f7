/**
 * Central's sync endpoints (sync/SPEC.md): `GET /sync/v{n}/enrollment`, `POST
 * /sync/v{n}/push`, and the shape server mounted at `/sync/v{n}/shape`, for the current
 * protocol version and the previous one. Every request carries a node token.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import type { z } from 'zod';
import {
  PREVIOUS_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  pushRequestV1,
  pushRequestV2,
  pushRequestV3,
  type EnrollmentResponse,
  type PushResult,
} from '../protocol';
import type { NodeRecord } from './node-ports';
import type { NodeService } from './nodes';
import type { Reconciler } from './reconciler';
import type { CentralSyncStore } from './node-ports';
import type { Clock } from '@clinic/domain';

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

/** Largest push body once inflated: 200 mutations are far below it; a gzip bomb is not. */
const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

/** Inflates a gzip request body and parses it, refusing more than `limit` bytes. */
async function gunzipJson(body: ReadableStream<Uint8Array>, limit: number): Promise<unknown> {
  const reader = body.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error('inflated push body too large');
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const unauthorized = (c: Context) =>
  c.json({ detail: 'Invalid or revoked node token.' }, 401, { 'www-authenticate': 'Bearer' });

export function centralSyncRoutes(deps: CentralSyncRouteDeps): Hono {
  const root = new Hono({ strict: false });
  // Mounted at '/': scope the middleware to the sync paths, or it would wrap the whole API.
  root.use('/sync/*', compress());

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
        let raw: unknown;
        try {
          // Nodes gzip their batches (2G links): about 100 bytes a mutation instead of 1 KB.
          const gzipped = /gzip/i.test(c.req.header('content-encoding') ?? '');
          const body = c.req.raw.body;
          raw = gzipped && body ? await gunzipJson(body, MAX_INFLATED_BYTES) : await c.req.json();
        } catch {
          return c.json({ detail: 'Malformed JSON.' }, 400);
        }
        const schema: z.ZodType<{
          node_id: string;
          mutations: z.infer<typeof pushRequestV3>['mutations'];
          backlog?: number;
        }> =
          version === PROTOCOL_VERSION
            ? pushRequestV3
            : version === PREVIOUS_PROTOCOL_VERSION
              ? pushRequestV2
              : pushRequestV1;
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          return c.json(
            {
              detail: 'Invalid push request.',
              errors: parsed.error.issues.slice(0, 10).map((i) => ({
                path: i.path.join('.'),
                message: i.message,
              })),
            },
            400,
          );
        }
        if (parsed.data.node_id !== node.id) {
          return c.json({ detail: 'node_id does not match the token.' }, 403);
        }
        const results = await deps.reconciler.push(node, parsed.data.mutations);
        const fresh = await deps.sync.getNode(node.id);
        const lastApplied = fresh?.last_seq ?? node.last_seq;
        await deps.sync.notePush(node.id, {
          at: deps.clock.now(),
          backlog: parsed.data.backlog ?? null,
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
