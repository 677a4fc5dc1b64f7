/**
 * /api/v1/appointments: the spec's CRUD, custom actions and check-conflicts.
 * Admins and providers only; patients get 403.
 */
import type { AppointmentQuery } from '@clinic/core';
import { Hono } from 'hono';
import { z } from 'zod';
import { requireRole, STAFF } from '../auth-middleware';
import {
  appointmentCreate,
  appointmentDetailOut,
  appointmentListQuery,
  appointmentOut,
  appointmentPatch,
  appointmentReplace,
  conflictCheckOut,
  slotCheck,
} from '../contracts/appointments';
import { detailBody, fieldErrorsBody, paginated, uuid } from '../contracts/common';
import type { ApiDeps } from '../deps';
import type { AppEnv } from '../env';
import type { ApiDocs } from '../openapi';
import { pageParams, paginate, toPageRequest } from '../pagination';
import {
  serializeAppointment,
  serializeAppointmentDetail,
  serializeConflictCheck,
} from '../serializers';
import { validate } from '../validation';

const BASE = '/api/v1/appointments';
const ID = ':id{[0-9a-fA-F-]{36}}';
const TAG = 'appointments';

type ListQuery = z.output<typeof appointmentListQuery>;

export function appointmentRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { appointments, clock } = deps;
  const app = new Hono<AppEnv>();
  app.use('*', requireRole(...STAFF));

  const notFound = { description: 'No such appointment', schema: detailBody };
  const list = { description: 'A page of appointments', schema: paginated(appointmentOut) };
  const detail = { description: 'The appointment', schema: appointmentDetailOut };

  async function listResponse(url: string, q: ListQuery, fixed: Partial<AppointmentQuery> = {}) {
    const params = pageParams(q);
    const query: AppointmentQuery = {
      ...toPageRequest(params),
      ordering: q.ordering ?? 'start_time',
      ...(q.provider && { provider: q.provider }),
      ...(q.patient && { patient: q.patient }),
      ...(q.facility && { facility: q.facility }),
      ...(q.status && { status: q.status }),
      ...(q.appointment_type && { appointment_type: q.appointment_type }),
      ...(q.search?.trim() && { search: q.search.trim() }),
      ...(q.start_time__gte !== undefined && { startsFrom: q.start_time__gte }),
      ...(q.start_time__lt !== undefined && { startsBefore: q.start_time__lt }),
      ...fixed,
    };
    const page = await appointments.list(query);
    const now = clock.now();
    return paginate(url, params, page, (a) => serializeAppointment(a, now));
  }

  async function detailResponse(id: string) {
    return serializeAppointmentDetail(await appointments.get(id), clock.now());
  }

  docs.add({
    method: 'get',
    path: BASE,
    tag: TAG,
    summary: 'List appointments (filters, search, ordering, pagination)',
    query: appointmentListQuery,
    responses: { 200: list },
  });
  app.get('/', validate('query', appointmentListQuery), async (c) =>
    c.json(await listResponse(c.req.url, c.req.valid('query'))),
  );

  docs.add({
    method: 'post',
    path: BASE,
    tag: TAG,
    summary: 'Book an appointment (validated and checked for conflicts in one transaction)',
    body: appointmentCreate,
    responses: {
      201: { description: 'Booked', schema: appointmentDetailOut },
      400: {
        description: 'Invalid, or conflicts on provider/patient/facility',
        schema: fieldErrorsBody,
      },
    },
  });
  app.post('/', validate('json', appointmentCreate), async (c) => {
    const { status: _scheduled, ...fields } = c.req.valid('json');
    const created = await appointments.create(fields, c.get('actor'));
    return c.json(serializeAppointmentDetail(created, clock.now()), 201);
  });

  docs.add({
    method: 'get',
    path: `${BASE}/upcoming`,
    tag: TAG,
    summary: 'Scheduled appointments that start in the future',
    query: appointmentListQuery,
    responses: { 200: list },
  });
  app.get('/upcoming', validate('query', appointmentListQuery), async (c) =>
    c.json(
      await listResponse(c.req.url, c.req.valid('query'), {
        status: 'scheduled',
        startsAfter: clock.now(),
      }),
    ),
  );

  for (const [segment, field] of [
    ['by-provider', 'provider'],
    ['by-patient', 'patient'],
  ] as const) {
    docs.add({
      method: 'get',
      path: `${BASE}/${segment}/:${field}Id`,
      tag: TAG,
      summary: `All appointments of one ${field}`,
      query: appointmentListQuery,
      responses: { 200: list },
    });
    app.get(
      `/${segment}/:ref`,
      validate('param', z.object({ ref: uuid })),
      validate('query', appointmentListQuery),
      async (c) =>
        c.json(
          await listResponse(c.req.url, c.req.valid('query'), {
            [field]: c.req.valid('param').ref,
          }),
        ),
    );
  }

  docs.add({
    method: 'post',
    path: `${BASE}/check-conflicts`,
    tag: TAG,
    summary: 'Check a prospective booking for conflicts without saving it',
    body: slotCheck,
    responses: { 200: { description: 'Conflicts found, if any', schema: conflictCheckOut } },
  });
  app.post('/check-conflicts', validate('json', slotCheck), async (c) => {
    const { exclude, ...slot } = c.req.valid('json');
    const check = await appointments.checkSlot(exclude ? { ...slot, id: exclude } : slot);
    return c.json(serializeConflictCheck(check));
  });

  docs.add({
    method: 'get',
    path: `${BASE}/:id`,
    tag: TAG,
    summary: 'Retrieve an appointment with its notification history',
    responses: { 200: detail, 404: notFound },
  });
  app.get(`/${ID}`, async (c) => c.json(await detailResponse(c.req.param('id'))));

  docs.add({
    method: 'patch',
    path: `${BASE}/:id`,
    tag: TAG,
    summary: 'Change some fields (re-checked for conflicts)',
    body: appointmentPatch,
    responses: { 200: detail, 404: notFound },
  });
  app.patch(`/${ID}`, validate('json', appointmentPatch), async (c) => {
    const updated = await appointments.update(c.req.param('id'), c.req.valid('json'));
    return c.json(serializeAppointmentDetail(updated, clock.now()));
  });

  docs.add({
    method: 'put',
    path: `${BASE}/:id`,
    tag: TAG,
    summary: 'Replace every writable field (re-checked for conflicts)',
    body: appointmentReplace,
    responses: { 200: detail, 404: notFound },
  });
  app.put(`/${ID}`, validate('json', appointmentReplace), async (c) => {
    const updated = await appointments.update(c.req.param('id'), c.req.valid('json'));
    return c.json(serializeAppointmentDetail(updated, clock.now()));
  });

  docs.add({
    method: 'delete',
    path: `${BASE}/:id`,
    tag: TAG,
    summary: 'Cancel and delete (a tombstone is kept for sync); sends cancellation notices',
    responses: { 204: { description: 'Deleted' }, 404: notFound },
  });
  app.delete(`/${ID}`, async (c) => {
    await appointments.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  docs.add({
    method: 'post',
    path: `${BASE}/:id/check-conflicts`,
    tag: TAG,
    summary: 'Check an existing appointment for conflicts',
    responses: {
      200: { description: 'Conflicts found, if any', schema: conflictCheckOut },
      404: notFound,
    },
  });
  app.post(`/${ID}/check-conflicts`, async (c) =>
    c.json(serializeConflictCheck(await appointments.checkConflicts(c.req.param('id')))),
  );

  for (const [action, status] of [
    ['cancel', 'cancelled'],
    ['complete', 'completed'],
    ['mark-no-show', 'no_show'],
  ] as const) {
    docs.add({
      method: 'post',
      path: `${BASE}/:id/${action}`,
      tag: TAG,
      summary: `Set status to ${status} (only from scheduled)`,
      responses: {
        200: detail,
        400: { description: 'Not allowed from the current status', schema: fieldErrorsBody },
        404: notFound,
      },
    });
    app.post(`/${ID}/${action}`, async (c) => {
      const changed = await appointments.transition(c.req.param('id'), status);
      return c.json(serializeAppointmentDetail(changed, clock.now()));
    });
  }

  return app;
}
