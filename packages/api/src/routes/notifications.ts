/**
 * /api/v1/notifications (admins): the queue and its history on this node; the dead
 * letter is `?status=failed`, and `POST {id}/retry/` sends a failed one again (where it
 * is delivered). See docs/NOTIFICATIONS.md.
 */
import { formatIsoDateTime, maskAddress, type Notification } from '@clinic/domain';
import { Hono } from 'hono';
import type { z } from 'zod';
import { requireRole } from '../auth-middleware';
import { detailBody, paginated } from '../contracts/common';
import { notificationListQuery, notificationOut } from '../contracts/notifications';
import type { ApiDeps } from '../deps';
import type { AppEnv } from '../env';
import type { ApiDocs } from '../openapi';
import { pageParams, paginate, toPageRequest } from '../pagination';
import { validate } from '../validation';

const ID = ':id{[0-9a-fA-F-]{36}}';
const notFoundDoc = { description: 'Not found', schema: detailBody };

export function serializeNotification(n: Notification): z.output<typeof notificationOut> {
  return {
    id: n.id,
    appointment: n.appointment_id,
    event: n.event,
    recipient: n.recipient,
    method: n.channel,
    address: maskAddress(n.address, n.channel),
    status: n.status,
    attempts: n.attempts,
    delivered_by: n.owner,
    created_at: formatIsoDateTime(n.created_at),
    next_attempt_at: formatIsoDateTime(n.next_attempt_at),
    sent_at: n.sent_at === null ? null : formatIsoDateTime(n.sent_at),
    last_error: n.last_error,
    conflict: n.conflict_id,
  };
}

export function notificationRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { notifications } = deps;
  const app = new Hono<AppEnv>();
  docs.add({
    method: 'get',
    path: '/api/v1/notifications',
    tag: 'notifications',
    summary:
      'List queued and delivered notifications, oldest first (?status=failed: the dead letter)',
    query: notificationListQuery,
    responses: { 200: { description: 'A page', schema: paginated(notificationOut) } },
  });
  docs.add({
    method: 'get',
    path: '/api/v1/notifications/:id',
    tag: 'notifications',
    summary: 'Retrieve a notification',
    responses: { 200: { description: 'Found', schema: notificationOut }, 404: notFoundDoc },
  });
  docs.add({
    method: 'post',
    path: '/api/v1/notifications/:id/retry',
    tag: 'notifications',
    summary: 'Send a failed notification again (on the node that delivers it)',
    responses: {
      200: { description: 'Queued again', schema: notificationOut },
      400: { description: 'Not failed, or delivered elsewhere', schema: detailBody },
      404: notFoundDoc,
    },
  });
  app.get('/', requireRole('admin'), validate('query', notificationListQuery), async (c) => {
    const q = c.req.valid('query');
    const params = pageParams(q);
    const page = await notifications.list({
      ...toPageRequest(params),
      ...(q.status && { status: q.status }),
      ...(q.appointment && { appointment: q.appointment }),
    });
    return c.json(paginate(c.req.url, params, page, serializeNotification));
  });
  app.get(`/${ID}`, requireRole('admin'), async (c) =>
    c.json(serializeNotification(await notifications.get(c.req.param('id')))),
  );
  app.post(`/${ID}/retry`, requireRole('admin'), async (c) =>
    c.json(serializeNotification(await notifications.retry(c.req.param('id')))),
  );
  return app;
}
