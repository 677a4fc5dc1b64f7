/**
 * /api/v1/facilities, /api/v1/users, /api/v1/patients: list, create, retrieve, PATCH.
 * Staff may read all three and register patients; only admins manage facilities and users.
 */
import { Hono } from 'hono';
import type { z } from 'zod';
import { requireRole, STAFF } from '../auth-middleware';
import { detailBody, pageQuery, paginated } from '../contracts/common';
import {
  facilityCreate,
  facilityOut,
  facilityPatch,
  patientCreate,
  patientListQuery,
  patientOut,
  patientPatch,
  userCreate,
  userListQuery,
  userOut,
  userPatch,
} from '../contracts/directory';
import type { ApiDeps } from '../deps';
import type { AppEnv } from '../env';
import type { ApiDocs } from '../openapi';
import { pageParams, paginate, toPageRequest } from '../pagination';
import { serializeFacility, serializePatient, serializeUser } from '../serializers';
import { validate } from '../validation';

const ID = ':id{[0-9a-fA-F-]{36}}';

/** Registers the docs of the four standard operations of one resource. */
function documentResource(
  docs: ApiDocs,
  base: string,
  tag: string,
  schemas: {
    create: z.ZodType;
    patch: z.ZodType;
    out: z.ZodType;
    query: z.ZodObject;
  },
): void {
  const notFound = { description: 'Not found', schema: detailBody };
  docs.add({
    method: 'get',
    path: base,
    tag,
    summary: `List ${tag}`,
    query: schemas.query,
    responses: { 200: { description: 'A page', schema: paginated(schemas.out) } },
  });
  docs.add({
    method: 'post',
    path: base,
    tag,
    summary: `Create one of ${tag}`,
    body: schemas.create,
    responses: { 201: { description: 'Created', schema: schemas.out } },
  });
  docs.add({
    method: 'get',
    path: `${base}/:id`,
    tag,
    summary: `Retrieve one of ${tag}`,
    responses: { 200: { description: 'Found', schema: schemas.out }, 404: notFound },
  });
  docs.add({
    method: 'patch',
    path: `${base}/:id`,
    tag,
    summary: `Change one of ${tag}`,
    body: schemas.patch,
    responses: { 200: { description: 'Changed', schema: schemas.out }, 404: notFound },
  });
}

export function facilityRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { facilities } = deps.directory;
  const app = new Hono<AppEnv>();
  documentResource(docs, '/api/v1/facilities', 'facilities', {
    create: facilityCreate,
    patch: facilityPatch,
    out: facilityOut,
    query: pageQuery,
  });
  app.get('/', requireRole(...STAFF), validate('query', pageQuery), async (c) => {
    const params = pageParams(c.req.valid('query'));
    const page = await facilities.list(toPageRequest(params));
    return c.json(paginate(c.req.url, params, page, serializeFacility));
  });
  app.post('/', requireRole('admin'), validate('json', facilityCreate), async (c) =>
    c.json(serializeFacility(await facilities.create(c.req.valid('json'))), 201),
  );
  app.get(`/${ID}`, requireRole(...STAFF), async (c) =>
    c.json(serializeFacility(await facilities.get(c.req.param('id')))),
  );
  app.patch(`/${ID}`, requireRole('admin'), validate('json', facilityPatch), async (c) =>
    c.json(serializeFacility(await facilities.update(c.req.param('id'), c.req.valid('json')))),
  );
  return app;
}

export function userRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { users } = deps.directory;
  const { passwords } = deps;
  const app = new Hono<AppEnv>();
  documentResource(docs, '/api/v1/users', 'users', {
    create: userCreate,
    patch: userPatch,
    out: userOut,
    query: userListQuery,
  });
  app.get('/', requireRole(...STAFF), validate('query', userListQuery), async (c) => {
    const q = c.req.valid('query');
    const params = pageParams(q);
    const page = await users.list({
      ...toPageRequest(params),
      ...(q.role && { role: q.role }),
      ...(q.facility && { facility: q.facility }),
      ...(q.search?.trim() && { search: q.search.trim() }),
    });
    return c.json(paginate(c.req.url, params, page, serializeUser));
  });
  app.post('/', requireRole('admin'), validate('json', userCreate), async (c) => {
    const { password, ...fields } = c.req.valid('json');
    const created = await users.create({
      ...fields,
      password_hash: await passwords.hash(password),
    });
    return c.json(serializeUser(created), 201);
  });
  app.get(`/${ID}`, requireRole(...STAFF), async (c) =>
    c.json(serializeUser(await users.get(c.req.param('id')))),
  );
  app.patch(`/${ID}`, requireRole('admin'), validate('json', userPatch), async (c) => {
    const { password, ...fields } = c.req.valid('json');
    const patch =
      password === undefined
        ? fields
        : { ...fields, password_hash: await passwords.hash(password) };
    return c.json(serializeUser(await users.update(c.req.param('id'), patch)));
  });
  return app;
}

export function patientRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { patients } = deps.directory;
  const app = new Hono<AppEnv>();
  app.use('*', requireRole(...STAFF));
  documentResource(docs, '/api/v1/patients', 'patients', {
    create: patientCreate,
    patch: patientPatch,
    out: patientOut,
    query: patientListQuery,
  });
  app.get('/', validate('query', patientListQuery), async (c) => {
    const q = c.req.valid('query');
    const params = pageParams(q);
    const page = await patients.list({
      ...toPageRequest(params),
      ...(q.registered_facility && { registered_facility: q.registered_facility }),
      ...(q.search?.trim() && { search: q.search.trim() }),
    });
    return c.json(paginate(c.req.url, params, page, serializePatient));
  });
  app.post('/', validate('json', patientCreate), async (c) =>
    c.json(serializePatient(await patients.create(c.req.valid('json'))), 201),
  );
  app.get(`/${ID}`, async (c) => c.json(serializePatient(await patients.get(c.req.param('id')))));
  app.patch(`/${ID}`, validate('json', patientPatch), async (c) =>
    c.json(serializePatient(await patients.update(c.req.param('id'), c.req.valid('json')))),
  );
  return app;
}
