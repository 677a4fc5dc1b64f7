/** Facilities, users and patients: list, create, retrieve, PATCH, on every adapter. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAdapters, createHarness, PASSWORD, type Harness } from '../support/api-harness';

describe.each(apiAdapters())('reference data API on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates, reads, lists and patches facilities', async () => {
    const token = h.adminToken;
    const created = await h.request('POST', '/api/v1/facilities/', {
      token,
      body: { name: 'Riverside', timezone: 'Africa/Kampala', capacity: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Riverside',
      timezone: 'Africa/Kampala',
      capacity: 2,
      is_active: true,
    });
    const patched = await h.request('PATCH', `/api/v1/facilities/${created.body.id}/`, {
      token,
      body: { capacity: 4, is_active: false },
    });
    expect(patched.body).toMatchObject({ capacity: 4, is_active: false, name: 'Riverside' });
    const got = await h.request('GET', `/api/v1/facilities/${created.body.id}`, { token });
    expect(got.body).toEqual(patched.body);
    const list = await h.request('GET', '/api/v1/facilities/?page_size=100', { token });
    expect(list.body.results.map((r: { id: string }) => r.id)).toContain(created.body.id);
    expect(
      (
        await h.request('POST', '/api/v1/facilities/', {
          token,
          body: { name: 'X', timezone: 'UTC', capacity: 0 },
        })
      ).status,
    ).toBe(400);
  });

  it('never shows a password, hashes it, and refuses duplicate usernames', async () => {
    const f = await h.fixtures();
    const token = h.adminToken;
    const got = await h.request('GET', `/api/v1/users/${f.provider.id}/`, { token });
    expect(got.body).not.toHaveProperty('password');
    expect(got.body).not.toHaveProperty('password_hash');
    expect(got.body.facilities).toEqual([f.facility.id]);
    const dup = await h.request('POST', '/api/v1/users/', {
      token,
      body: {
        username: f.provider.username,
        password: PASSWORD,
        role: 'provider',
        user_type: 'nurse',
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ username: ['A user with that username already exists.'] });
    const changed = await h.request('PATCH', `/api/v1/users/${f.provider.id}/`, {
      token,
      body: { password: 'a-new-password-9' },
    });
    expect(changed.status).toBe(200);
    expect(
      (
        await h.request('POST', '/api/v1/auth/token/', {
          body: { username: f.provider.username, password: 'a-new-password-9' },
        })
      ).status,
    ).toBe(200);
    const filtered = await h.request(
      'GET',
      `/api/v1/users/?facility=${f.facility.id}&role=provider`,
      { token },
    );
    expect(filtered.body.count).toBe(2);
    const bad = await h.request('POST', '/api/v1/users/', {
      token,
      body: {
        username: 'has space',
        password: 'short',
        role: 'boss',
        user_type: 'doctor',
        facilities: ['x'],
      },
    });
    expect(Object.keys(bad.body).sort()).toEqual(['facilities.0', 'password', 'role', 'username']);
  });

  it('registers, searches and patches patients; providers may do so too', async () => {
    const f = await h.fixtures();
    const token = f.providerToken;
    const created = await h.request('POST', '/api/v1/patients/', {
      token,
      body: {
        patient_id: `MRN-${kind}-77`,
        first_name: 'Wanjiku',
        last_name: 'Kariuki',
        registered_facility: f.facility.id,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ phone_number: '', email: '', is_active: true });
    const search = await h.request('GET', '/api/v1/patients/?search=wanjiku%20kar', { token });
    expect(search.body.results.map((p: { id: string }) => p.id)).toEqual([created.body.id]);
    const byFacility = await h.request(
      'GET',
      `/api/v1/patients/?registered_facility=${f.facility.id}`,
      { token },
    );
    expect(byFacility.body.count).toBe(3);
    const patched = await h.request('PATCH', `/api/v1/patients/${created.body.id}/`, {
      token,
      body: { phone_number: '+254 700 123456' },
    });
    expect(patched.body.phone_number).toBe('+254 700 123456');
    expect(
      (
        await h.request('PATCH', `/api/v1/patients/${created.body.id}/`, {
          token,
          body: { email: 'not-an-email' },
        })
      ).status,
    ).toBe(400);
  });
});
