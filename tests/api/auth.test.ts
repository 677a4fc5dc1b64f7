/** Tokens, roles and login throttling, through the HTTP app. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createHarness, PASSWORD, type Harness } from '../support/api-harness';

describe('auth API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('sqlite');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('issues an access and a refresh token, and refresh gives a new access token', async () => {
    const res = await h.request('POST', '/api/v1/auth/token/', { body: ADMIN });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access', 'refresh']);
    const header = JSON.parse(Buffer.from(res.body.access.split('.')[0], 'base64url').toString());
    expect(header).toMatchObject({ alg: 'EdDSA' });
    expect(header.kid).toEqual(expect.any(String));
    const refreshed = await h.request('POST', '/api/v1/auth/token/refresh', {
      body: { refresh: res.body.refresh },
    });
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body)).toEqual(['access']);
    expect(
      (await h.request('GET', '/api/v1/facilities/', { token: refreshed.body.access })).status,
    ).toBe(200);
    // A refresh token is not an access token, and vice versa.
    expect(
      (await h.request('GET', '/api/v1/facilities/', { token: res.body.refresh })).status,
    ).toBe(401);
    expect(
      (
        await h.request('POST', '/api/v1/auth/token/refresh/', {
          body: { refresh: res.body.access },
        })
      ).status,
    ).toBe(401);
  });

  it('answers 401 without a token, with a bad, forged, alg=none or expired token', async () => {
    const none = await h.request('GET', '/api/v1/appointments/');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    const token = await h.login(ADMIN.username, ADMIN.password);
    const [head, payload] = token.split('.') as [string, string, string];
    const algNone = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin', sub: 'x' })).toString('base64url')}.${token.split('.')[2]}`;
    for (const bad of ['garbage', algNone, tampered, `${token}x`]) {
      const res = await h.request('GET', '/api/v1/appointments/', { token: bad });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Given token not valid for any token type' });
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
    }
  });

  it('answers 401 once the access token has expired', async () => {
    const own = await createHarness('sqlite');
    const token = await own.login(ADMIN.username, ADMIN.password);
    own.clock.advance(14 * 60_000);
    expect((await own.request('GET', '/api/v1/appointments/', { token })).status).toBe(200);
    own.clock.advance(2 * 60_000);
    expect((await own.request('GET', '/api/v1/appointments/', { token })).status).toBe(401);
    await own.close();
  });

  it('gives patients 403 on appointments and providers 403 on admin-only writes', async () => {
    const f = await h.fixtures();
    const patientUser = await h.request('POST', '/api/v1/users/', {
      token: h.adminToken,
      body: {
        username: `pat-${Date.now()}`,
        password: PASSWORD,
        role: 'patient',
        user_type: 'admin',
      },
    });
    expect(patientUser.status).toBe(201);
    const patientToken = await h.login(patientUser.body.username, PASSWORD);
    for (const [method, path] of [
      ['GET', '/api/v1/appointments/'],
      ['POST', '/api/v1/appointments/'],
      ['GET', '/api/v1/patients/'],
    ] as const) {
      const res = await h.request(method, path, {
        token: patientToken,
        body: method === 'POST' ? {} : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    }
    const asProvider = await h.request('POST', '/api/v1/facilities/', {
      token: f.providerToken,
      body: { name: 'X', timezone: 'UTC' },
    });
    expect(asProvider.status).toBe(403);
  });

  it('locks out a deactivated user at once', async () => {
    const admin = await h.login(ADMIN.username, ADMIN.password);
    const f = await h.fixtures();
    const off = await h.request('PATCH', `/api/v1/users/${f.provider.id}/`, {
      token: admin,
      body: { is_active: false },
    });
    expect(off.body.is_active).toBe(false);
    expect(
      (await h.request('GET', '/api/v1/appointments/', { token: f.providerToken })).status,
    ).toBe(401);
    const relogin = await h.request('POST', '/api/v1/auth/token/', {
      body: { username: f.provider.username, password: PASSWORD },
    });
    expect(relogin.status).toBe(401);
  });

  it('publishes its public keys (and no private part)', async () => {
    const res = await h.request('GET', '/api/v1/auth/jwks/');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(res.body.keys[0].d).toBeUndefined();
  });
  it('rate-limits logins per username, with Retry-After', async () => {
    const f = await h.fixtures();
    for (let i = 0; i < 5; i += 1) {
      const res = await h.request('POST', '/api/v1/auth/token/', {
        body: { username: f.provider.username, password: 'wrong-password' },
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'No active account found with the given credentials' });
    }
    const blocked = await h.request('POST', '/api/v1/auth/token/', {
      body: { username: f.provider.username, password: PASSWORD },
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    h.clock.advance(16 * 60_000);
    expect(
      (
        await h.request('POST', '/api/v1/auth/token/', {
          body: { username: f.provider.username, password: PASSWORD },
        })
      ).status,
    ).toBe(200);
  });
});
