/**
 * Every API answer and /healthz carry `Cache-Control: no-store` and
 * `X-Content-Type-Options: nosniff`, whatever made them (route, 4xx checks, bodyLimit's
 * 413, notFound, the error handler's 500); the docs page refuses to be framed; the web
 * UI's assets keep their own revalidation caching.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClinicServer, type ClinicServer } from './http-harness';

let clinic: ClinicServer;

beforeAll(async () => {
  clinic = await startClinicServer();
});

afterAll(async () => {
  await clinic?.close();
});

function expectApiHeaders(res: Response): void {
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

const json = { 'content-type': 'application/json' };

describe('API answer headers', () => {
  it('are on answers of every kind', async () => {
    const token = { authorization: `Bearer ${clinic.adminToken}` };
    const cases: [string, RequestInit, number][] = [
      ['/healthz', {}, 200],
      ['/api/v1/patients/', { headers: token }, 200],
      // Over 1 KB, so gzipped by the compress middleware (fetch asks for gzip).
      ['/api/v1/openapi.json', {}, 200],
      ['/api/v1/patients/', {}, 401],
      ['/api/v1/no-such-thing/', { headers: token }, 404],
      [
        '/api/v1/auth/token/',
        { method: 'POST', headers: json, body: '{"username": "a", "password": ' },
        400,
      ],
      [
        '/api/v1/patients/',
        { method: 'POST', headers: { ...token, 'content-type': 'text/plain' }, body: 'hello' },
        415,
      ],
      [
        '/api/v1/patients/',
        { method: 'POST', headers: { ...json, ...token }, body: ' '.repeat(1_100_000) },
        413,
      ],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${clinic.url}${path}`, init);
      await res.arrayBuffer();
      expect({ path, status: res.status }).toEqual({ path, status });
      expectApiHeaders(res);
    }
  });

  it('are on the 5xx answers when the database is gone', async () => {
    const broken = await startClinicServer();
    try {
      await broken.runtime.store.close();
      const health = await fetch(`${broken.url}/healthz`);
      expect(health.status).toBe(503);
      expectApiHeaders(health);
      const list = await fetch(`${broken.url}/api/v1/patients/`, {
        headers: { authorization: `Bearer ${broken.adminToken}` },
      });
      expect(list.status).toBe(500);
      expect(await list.json()).toEqual({ detail: 'internal error' });
      expectApiHeaders(list);
    } finally {
      await broken.close();
    }
  });

  it('the docs page may not be framed', async () => {
    const res = await fetch(`${clinic.url}/api/v1/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expectApiHeaders(res);
  });

  it('leave the web UI assets to their ETag revalidation', async () => {
    const res = await fetch(`${clinic.url}/ui/app.css`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${clinic.url}/ui/app.css`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });
});
