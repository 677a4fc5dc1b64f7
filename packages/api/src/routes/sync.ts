/**
 * /api/v1/conflicts (both: central's records, a node's pulled copy; resolve on central),
 * /api/v1/nodes (central: enrollment and sync health), /api/v1/sync (edge: status, run).
 * See sync/SPEC.md.
 */
import { formatIsoDateTime, notFound, type ConflictRecord } from '@clinic/domain';
import { Hono } from 'hono';
import type { z } from 'zod';
import { requireRole, STAFF } from '../auth-middleware';
import { detailBody, pageQuery, paginated } from '../contracts/common';
import {
  conflictListQuery,
  conflictOut,
  conflictResolve,
  nodeCreate,
  nodeCreated,
  nodeOut,
  syncStatusOut,
} from '../contracts/sync';
import type { ApiDeps, NodeView, SyncStatusView } from '../deps';
import type { AppEnv } from '../env';
import type { ApiDocs } from '../openapi';
import { pageParams, paginate, toPageRequest } from '../pagination';
import { validate } from '../validation';

const ID = ':id{[0-9a-fA-F-]{36}}';
const iso = (ms: number | null) => (ms === null ? null : formatIsoDateTime(ms));
const notFoundDoc = { description: 'Not found', schema: detailBody };

export function serializeConflict(r: ConflictRecord): z.output<typeof conflictOut> {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(r.details) as Record<string, unknown>;
  } catch {
    details = {};
  }
  return {
    id: r.id,
    kind: r.kind,
    appointments: r.appointment_b === null ? [r.appointment_a] : [r.appointment_a, r.appointment_b],
    status: r.status,
    detected_at: formatIsoDateTime(r.detected_at),
    resolved_at: iso(r.resolved_at),
    resolution: r.resolution,
    details,
  };
}

export function conflictRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { conflicts } = deps;
  const app = new Hono<AppEnv>();
  docs.add({
    method: 'get',
    path: '/api/v1/conflicts',
    tag: 'conflicts',
    summary: 'List late conflicts, oldest first (?status=open|resolved)',
    query: conflictListQuery,
    responses: { 200: { description: 'A page', schema: paginated(conflictOut) } },
  });
  docs.add({
    method: 'get',
    path: '/api/v1/conflicts/:id',
    tag: 'conflicts',
    summary: 'Retrieve a conflict',
    responses: { 200: { description: 'Found', schema: conflictOut }, 404: notFoundDoc },
  });
  app.get('/', requireRole(...STAFF), validate('query', conflictListQuery), async (c) => {
    const q = c.req.valid('query');
    const params = pageParams(q);
    const page = await conflicts.list({
      ...toPageRequest(params),
      ...(q.status && { status: q.status }),
    });
    return c.json(paginate(c.req.url, params, page, serializeConflict));
  });
  app.get(`/${ID}`, requireRole(...STAFF), async (c) =>
    c.json(serializeConflict(await conflicts.get(c.req.param('id')))),
  );
  if (deps.node.role === 'central') {
    docs.add({
      method: 'post',
      path: '/api/v1/conflicts/:id/resolve',
      tag: 'conflicts',
      summary: 'Resolve a conflict with a note (central, admin)',
      body: conflictResolve,
      responses: { 200: { description: 'Resolved', schema: conflictOut }, 404: notFoundDoc },
    });
    app.post(`/${ID}/resolve`, requireRole('admin'), validate('json', conflictResolve), async (c) =>
      c.json(
        serializeConflict(
          await conflicts.resolve(c.req.param('id'), c.req.valid('json').resolution),
        ),
      ),
    );
  }
  return app;
}

function serializeNode(n: NodeView): z.output<typeof nodeOut> {
  return {
    id: n.id,
    name: n.name,
    facilities: n.facilities,
    created_at: formatIsoDateTime(n.created_at),
    revoked_at: iso(n.revoked_at),
    last_push_at: iso(n.last_push_at),
    last_pull_at: iso(n.last_pull_at),
    last_applied_seq: n.last_seq,
    backlog: n.backlog,
    protocol_version: n.protocol_version,
    last_error: n.last_error,
  };
}

export function nodeRoutes(deps: ApiDeps, docs: ApiDocs) {
  const app = new Hono<AppEnv>();
  const nodes = deps.nodes;
  if (!nodes) return app;
  docs.add({
    method: 'post',
    path: '/api/v1/nodes',
    tag: 'nodes',
    summary: 'Enroll a clinic node (the token is shown once)',
    body: nodeCreate,
    responses: { 201: { description: 'Enrolled', schema: nodeCreated } },
  });
  docs.add({
    method: 'get',
    path: '/api/v1/nodes',
    tag: 'nodes',
    summary: 'List nodes with their sync health',
    query: pageQuery,
    responses: { 200: { description: 'A page', schema: paginated(nodeOut) } },
  });
  docs.add({
    method: 'get',
    path: '/api/v1/nodes/:id',
    tag: 'nodes',
    summary: 'Retrieve a node',
    responses: { 200: { description: 'Found', schema: nodeOut }, 404: notFoundDoc },
  });
  docs.add({
    method: 'delete',
    path: '/api/v1/nodes/:id',
    tag: 'nodes',
    summary: "Revoke a node's token (its pushes and pulls get 401)",
    responses: { 204: { description: 'Revoked' }, 404: notFoundDoc },
  });
  app.use('*', requireRole('admin'));
  app.post('/', validate('json', nodeCreate), async (c) => {
    const created = await nodes.enroll(c.req.valid('json'));
    const view = await nodes.get(created.id);
    return c.json({ ...serializeNode(view), token: created.token }, 201);
  });
  app.get('/', validate('query', pageQuery), async (c) => {
    const params = pageParams(c.req.valid('query'));
    const page = await nodes.list(toPageRequest(params));
    return c.json(paginate(c.req.url, params, page, serializeNode));
  });
  app.get(`/${ID}`, async (c) => c.json(serializeNode(await nodes.get(c.req.param('id')))));
  app.delete(`/${ID}`, async (c) => {
    await nodes.revoke(c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}

function serializeStatus(s: SyncStatusView): z.output<typeof syncStatusOut> {
  return {
    ...s,
    last_push_at: iso(s.last_push_at),
    last_pull_at: iso(s.last_pull_at),
    last_success_at: iso(s.last_success_at),
    rejected: s.rejected.map((r) => ({ ...r, at: iso(r.at) })),
  };
}

export function syncRoutes(deps: ApiDeps, docs: ApiDocs) {
  const app = new Hono<AppEnv>();
  const sync = deps.sync;
  if (!sync) {
    app.all('*', () => Promise.reject(notFound()));
    return app;
  }
  docs.add({
    method: 'get',
    path: '/api/v1/sync/status',
    tag: 'sync',
    summary: "This node's sync with central",
    responses: { 200: { description: 'Status', schema: syncStatusOut } },
  });
  docs.add({
    method: 'post',
    path: '/api/v1/sync/run',
    tag: 'sync',
    summary: 'Push and pull now; answers when done (503 while central is unreachable)',
    responses: {
      200: { description: 'Done', schema: syncStatusOut },
      503: { description: 'Central unreachable', schema: detailBody },
    },
  });
  app.get('/status', requireRole(...STAFF), async (c) =>
    c.json(serializeStatus(await sync.status())),
  );
  app.post('/run', requireRole(...STAFF), async (c) => c.json(serializeStatus(await sync.run())));
  return app;
}
