/**
 * Web UI sessions: login sets HttpOnly SameSite=Strict cookies and answers a CSRF token;
 * the cookie authenticates reads; writes need the CSRF token too; the refresh cookie
 * renews the access cookie; logout clears everything. Bearer tokens work as before.
 */
import { sessionCookieNames } from '@clinic/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, createHarness, PASSWORD, type Harness } from '../support/api-harness';

/** `name=value` pairs of the Set-Cookie headers, plus their attributes. */
function parseSetCookies(headers: Headers): Map<string, { value: string; attrs: string[] }> {
  const out = new Map<string, { value: string; attrs: string[] }>();
  for (const line of headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    out.set(pair!.slice(0, eq), { value: pair!.slice(eq + 1), attrs });
  }
  return out;
}

describe('web sessions (cookies + CSRF)', () => {
  let h: Harness;
  let names: ReturnType<typeof sessionCookieNames>;
  beforeAll(async () => {
    h = await createHarness('sqlite');
    names = sessionCookieNames(h.runtime.nodeId);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function login() {
    const f = await h.fixtures();
    const res = await h.request('POST', '/api/v1/auth/session/', {
      token: null,
      body: { username: f.provider.username, password: PASSWORD },
    });
    expect(res.status).toBe(200);
    const cookies = parseSetCookies(res.headers);
    const jar = [names.access, names.refresh, names.csrf]
      .map((n) => `${n}=${cookies.get(n)!.value}`)
      .join('; ');
    return { f, res, cookies, jar, csrf: res.body.csrf_token as string };
  }

  it('sets HttpOnly, SameSite=Strict cookies with narrow paths and answers who and the CSRF token', async () => {
    const { f, res, cookies, csrf } = await login();
    expect(res.body.user).toMatchObject({ id: f.provider.id, role: 'provider' });
    expect(res.body.user).not.toHaveProperty('password_hash');
    expect(res.body.node.role).toBe('edge');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(res.body)).not.toContain(cookies.get(names.access)!.value);
    for (const [name, path] of [
      [names.access, 'Path=/api'],
      [names.refresh, 'Path=/api/v1/auth/session'],
      [names.csrf, 'Path=/'],
    ] as const) {
      const c = cookies.get(name);
      expect(c, name).toBeDefined();
      expect(c!.attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', path]));
      expect(c!.attrs.some((a) => a.startsWith('Max-Age='))).toBe(true);
    }
    expect(cookies.get(names.csrf)!.value).toBe(csrf);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('authenticates reads by cookie, and writes only with the matching CSRF token', async () => {
    const { f, jar, csrf } = await login();
    const read = await h.request('GET', '/api/v1/appointments/', {
      token: null,
      headers: { Cookie: jar },
    });
    expect(read.status).toBe(200);

    const body = {
      patient: f.patient.id,
      provider: f.provider.id,
      facility: f.facility.id,
      appointment_type: 'consultation',
      start_time: at(h, 3),
      end_time: at(h, 3, 30),
    };
    const noToken = await h.request('POST', '/api/v1/appointments/', {
      token: null,
      headers: { Cookie: jar },
      body,
    });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toEqual({ detail: 'CSRF Failed: CSRF token missing or incorrect.' });
    const wrong = await h.request('POST', '/api/v1/appointments/', {
      token: null,
      headers: { Cookie: jar, 'X-CSRF-Token': `${csrf.slice(0, -1)}x` },
      body,
    });
    expect(wrong.status).toBe(403);
    // Nothing was written by the refused requests.
    const none = await h.request('GET', `/api/v1/appointments/?patient=${f.patient.id}`, {
      token: null,
      headers: { Cookie: jar },
    });
    expect(none.body.count).toBe(0);

    const ok = await h.request('POST', '/api/v1/appointments/', {
      token: null,
      headers: { Cookie: jar, 'X-CSRF-Token': csrf },
      body,
    });
    expect(ok.status).toBe(201);
  });

  it('renews nothing for a deactivated account, and clears its cookies', async () => {
    const { f, cookies } = await login();
    const off = await h.request('PATCH', `/api/v1/users/${f.provider.id}/`, {
      token: h.adminToken,
      body: { is_active: false },
    });
    expect(off.status).toBe(200);
    const res = await h.request('GET', '/api/v1/auth/session/', {
      token: null,
      headers: {
        Cookie: [names.refresh, names.csrf].map((n) => `${n}=${cookies.get(n)!.value}`).join('; '),
      },
    });
    expect(res.status).toBe(401);
    // Every Set-Cookie of the access cookie clears it: no fresh token was handed out first.
    const access = res.headers.getSetCookie().filter((l) => l.startsWith(`${names.access}=`));
    expect(access.length).toBeGreaterThan(0);
    for (const line of access) {
      expect(line.startsWith(`${names.access}=;`)).toBe(true);
      expect(line).toContain('Max-Age=0');
    }
  });

  it('lets the cookie decide when a proxy adds a non-Bearer Authorization header', async () => {
    const { jar } = await login();
    const res = await h.request('GET', '/api/v1/patients/', {
      token: null,
      headers: { Cookie: jar, Authorization: 'Basic cHJveHk6cHJveHk=' },
    });
    expect(res.status).toBe(200);
    const alone = await h.request('GET', '/api/v1/patients/', {
      token: null,
      headers: { Authorization: 'Basic cHJveHk6cHJveHk=' },
    });
    expect(alone.status).toBe(401);
    expect(alone.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('answers the session back, renews an expired access cookie from the refresh cookie', async () => {
    const { f, cookies, csrf } = await login();
    const again = await h.request('GET', '/api/v1/auth/session/', {
      token: null,
      headers: {
        Cookie: [names.access, names.csrf].map((n) => `${n}=${cookies.get(n)!.value}`).join('; '),
      },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ user: { id: f.provider.id }, csrf_token: csrf });

    // Access cookie gone (expired in the browser): the refresh cookie renews it.
    const renewed = await h.request('GET', '/api/v1/auth/session/', {
      token: null,
      headers: {
        Cookie: [names.refresh, names.csrf].map((n) => `${n}=${cookies.get(n)!.value}`).join('; '),
      },
    });
    expect(renewed.status).toBe(200);
    const fresh = parseSetCookies(renewed.headers).get(names.access);
    expect(fresh?.attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict']));
    const read = await h.request('GET', '/api/v1/patients/', {
      token: null,
      headers: { Cookie: `${names.access}=${fresh!.value}` },
    });
    expect(read.status).toBe(200);
  });

  it('answers 204 without cookies, 401 for a forged cookie, and a bearer token needs no CSRF', async () => {
    const none = await h.request('GET', '/api/v1/auth/session/', { token: null });
    expect(none.status).toBe(204);
    const forged = await h.request('GET', '/api/v1/appointments/', {
      token: null,
      headers: { Cookie: `${names.access}=eyJhbGciOiJub25lIn0.e30.` },
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ detail: 'Given token not valid for any token type' });
    const f = await h.fixtures();
    const bearer = await h.request('POST', '/api/v1/patients/', {
      token: f.providerToken,
      body: { patient_id: `MRN-bearer-${Date.now()}`, first_name: 'A', last_name: 'B' },
    });
    expect(bearer.status).toBe(201);
  });

  it('refuses a wrong password with the token endpoint’s message, and sets no cookie', async () => {
    const f = await h.fixtures();
    const res = await h.request('POST', '/api/v1/auth/session/', {
      token: null,
      body: { username: f.provider.username, password: 'wrong-password' },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'No active account found with the given credentials' });
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('logs out only with the CSRF token, and then clears every cookie', async () => {
    const { jar, csrf } = await login();
    const refused = await h.request('DELETE', '/api/v1/auth/session/', {
      token: null,
      headers: { Cookie: jar },
    });
    expect(refused.status).toBe(403);
    const out = await h.request('DELETE', '/api/v1/auth/session/', {
      token: null,
      headers: { Cookie: jar, 'X-CSRF-Token': csrf },
    });
    expect(out.status).toBe(204);
    const cleared = parseSetCookies(out.headers);
    for (const n of [names.access, names.refresh, names.csrf]) {
      expect(cleared.get(n)?.attrs).toEqual(expect.arrayContaining(['Max-Age=0']));
    }
  });

  it('names cookies per node, so two nodes on one host keep their own sessions', () => {
    const a = sessionCookieNames('node-a');
    const b = sessionCookieNames('node-b');
    expect(a.access).not.toBe(b.access);
    expect(a.access).toMatch(/^clinic_[0-9a-f]{8}_access$/);
  });
});
