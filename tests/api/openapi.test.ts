/** The OpenAPI document, the offline docs page and /healthz. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/api-harness';

describe('OpenAPI, docs and health', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('sqlite');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('documents every endpoint of the spec in OpenAPI 3.1', async () => {
    const res = await h.request('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/api/v1/appointments',
      '/api/v1/appointments/{id}',
      '/api/v1/appointments/upcoming',
      '/api/v1/appointments/by-provider/{providerId}',
      '/api/v1/appointments/by-patient/{patientId}',
      '/api/v1/appointments/{id}/check-conflicts',
      '/api/v1/appointments/{id}/cancel',
      '/api/v1/appointments/{id}/complete',
      '/api/v1/appointments/{id}/mark-no-show',
      '/api/v1/auth/token',
      '/api/v1/auth/token/refresh',
      '/api/v1/facilities',
      '/api/v1/users/{id}',
      '/api/v1/patients',
    ]) {
      expect(paths).toContain(p);
    }
    const create = res.body.paths['/api/v1/appointments'].post;
    const ref: string = create.requestBody.content['application/json'].schema.$ref;
    expect(ref).toBe('#/components/schemas/AppointmentCreate');
    expect(res.body.components.schemas.AppointmentCreate.required).toEqual(
      expect.arrayContaining(['patient', 'provider', 'facility', 'start_time', 'end_time']),
    );
    expect(Object.keys(res.body.paths['/api/v1/appointments/{id}'])).toEqual([
      'get',
      'patch',
      'put',
      'delete',
    ]);
    const list = res.body.paths['/api/v1/appointments'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(list).toEqual(
      expect.arrayContaining([
        'provider',
        'patient',
        'facility',
        'status',
        'appointment_type',
        'search',
        'ordering',
        'page',
        'page_size',
      ]),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/password_hash/);
  });

  it('serves a docs page that loads nothing from another origin', async () => {
    const res = await h.request('GET', '/api/v1/docs/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.body).toContain('openapi.json');
    expect(res.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('reports health with the node role and database kind', async () => {
    const res = await h.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', role: 'edge', database: 'sqlite' });
  });
});
