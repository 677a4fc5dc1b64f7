/**
 * NUL, control characters and lone surrogates in what the API reads (issue 11): a 400 in
 * DRF's shape on every adapter, never a 500 (PostgreSQL refuses NUL with SQLSTATE 22021)
 * and never stored (SQLite would keep a NUL that central could then never accept). Line
 * breaks and tabs are fine where text is multi-line: a reason, a resolution note.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAdapters, at, createHarness, type Harness } from '../support/api-harness';

describe.each(apiAdapters())('hostile text on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a NUL in a login, a search and a PATCH with 400, not 500', async () => {
    const f = await h.fixtures();
    const login = await h.request('POST', '/api/v1/auth/token/', {
      body: { username: 'admin\u0000', password: 'whatever-it-is' },
    });
    expect(login.status).toBe(400);
    expect(login.body).toEqual({ username: ['Null characters are not allowed.'] });

    for (const path of ['/api/v1/patients/', '/api/v1/appointments/', '/api/v1/users/']) {
      const search = await h.request('GET', `${path}?search=Do%00e`, { token: h.adminToken });
      expect(search.status).toBe(400);
      expect(search.body).toEqual({ search: ['Null characters are not allowed.'] });
    }
    // A parameter no route reads is refused as well: nothing gets past with a NUL.
    const unknown = await h.request('GET', '/api/v1/facilities/?whatever=%00', {
      token: h.adminToken,
    });
    expect(unknown.status).toBe(400);

    const patch = await h.request('PATCH', `/api/v1/patients/${f.patient.id}/`, {
      token: h.adminToken,
      body: { last_name: 'Doe\u0000; DROP' },
    });
    expect(patch.status).toBe(400);
    expect(patch.body).toEqual({ last_name: ['Null characters are not allowed.'] });
    const stored = await h.request('GET', `/api/v1/patients/${f.patient.id}/`, {
      token: h.adminToken,
    });
    expect(stored.body.last_name).toBe(f.patient.last_name);
  });

  it('allows line breaks only where text is multi-line', async () => {
    const f = await h.fixtures();
    const booking = {
      patient: f.patient.id,
      provider: f.provider.id,
      facility: f.facility.id,
      appointment_type: 'consultation',
      start_time: at(h, 30),
      end_time: at(h, 31),
    };
    const multi = await h.request('POST', '/api/v1/appointments/', {
      token: h.adminToken,
      body: { ...booking, reason: 'cough\nfever\tthree days' },
    });
    expect(multi.status).toBe(201);
    expect(multi.body.reason).toBe('cough\nfever\tthree days');
    const bell = await h.request('POST', '/api/v1/appointments/', {
      token: h.adminToken,
      body: { ...booking, start_time: at(h, 40), end_time: at(h, 41), reason: 'ring\u0007' },
    });
    expect(bell.status).toBe(400);
    expect(bell.body).toEqual({ reason: ['Control characters are not allowed.'] });

    const name = await h.request('PATCH', `/api/v1/patients/${f.patient.id}/`, {
      token: h.adminToken,
      body: { first_name: 'John\nSmith' },
    });
    expect(name.status).toBe(400);
    expect(name.body).toEqual({ first_name: ['Control characters are not allowed.'] });
  });

  it('refuses lone UTF-16 surrogates, keeps real emoji and other scripts', async () => {
    const f = await h.fixtures();
    const lone = await h.request('PATCH', `/api/v1/patients/${f.patient.id}/`, {
      token: h.adminToken,
      raw: '{"first_name": "Ami\\ud800na"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(lone.status).toBe(400);
    expect(lone.body).toEqual({ first_name: ['Surrogate characters are not allowed: U+D800.'] });
    const fine = await h.request('PATCH', `/api/v1/patients/${f.patient.id}/`, {
      token: h.adminToken,
      body: { first_name: 'Amína 👶🏽 أمينة' },
    });
    expect(fine.status).toBe(200);
    expect(fine.body.first_name).toBe('Amína 👶🏽 أمينة');
  });

  it('refuses control characters in the headers the API reads', async () => {
    const res = await h.request('GET', '/api/v1/facilities/', {
      headers: { Authorization: `Bearer ${h.adminToken}\u0001` },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ authorization: ['Header: Control characters are not allowed.'] });
  });

  it('survives what the fuzzers found: __proto__ parameters, objects for choices, repeated ids', async () => {
    const proto = await h.request('GET', '/api/v1/facilities/?__proto__=%00', {
      token: h.adminToken,
    });
    expect(proto.status).toBe(400);
    expect(JSON.stringify(proto.body)).toBe('{"__proto__":["Null characters are not allowed."]}');
    const f = await h.fixtures();
    const choice = await h.request('POST', '/api/v1/appointments/', {
      token: h.adminToken,
      body: {
        patient: f.patient.id,
        provider: f.provider.id,
        facility: f.facility.id,
        appointment_type: { toString: 1 },
        start_time: at(h, 60),
        end_time: at(h, 61),
      },
    });
    expect(choice.status).toBe(400);
    expect(choice.body).toEqual({ appointment_type: ['"{"toString":1}" is not a valid choice.'] });
    const user = await h.request('POST', '/api/v1/users/', {
      token: h.adminToken,
      body: {
        username: `twice-${Date.now()}`,
        password: 'a-long-password',
        role: 'provider',
        user_type: 'nurse',
        facilities: [f.facility.id, f.facility.id],
      },
    });
    expect(user.status).toBe(201);
    expect(user.body.facilities).toEqual([f.facility.id]);
    const read = await h.request('GET', `/api/v1/users/${user.body.id}/`, { token: h.adminToken });
    expect(read.body.facilities).toEqual(user.body.facilities);
  });

  it('answers the seed wording for a missing choice, refuses a status on create, clamps page_size', async () => {
    const f = await h.fixtures();
    const booking = {
      patient: f.patient.id,
      provider: f.provider.id,
      facility: f.facility.id,
      start_time: at(h, 50),
      end_time: at(h, 51),
    };
    const missing = await h.request('POST', '/api/v1/appointments/', {
      token: h.adminToken,
      body: booking,
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ appointment_type: ['This field is required.'] });

    const completed = await h.request('POST', '/api/v1/appointments/', {
      token: h.adminToken,
      body: { ...booking, appointment_type: 'consultation', status: 'completed' },
    });
    expect(completed.status).toBe(400);
    expect(completed.body).toEqual({
      status: ['A new appointment is always "scheduled"; change its status afterwards.'],
    });
    const scheduled = await h.request('POST', '/api/v1/appointments/', {
      token: h.adminToken,
      body: { ...booking, appointment_type: 'consultation', status: 'scheduled' },
    });
    expect(scheduled.status).toBe(201);

    for (const list of ['appointments', 'patients', 'conflicts', 'notifications']) {
      for (const size of ['101', '10000000000', '99999999999999999999999']) {
        const res = await h.request('GET', `/api/v1/${list}/?page_size=${size}`, {
          token: h.adminToken,
        });
        expect({ list, size, status: res.status }).toEqual({ list, size, status: 200 });
      }
      const zero = await h.request('GET', `/api/v1/${list}/?page_size=0`, {
        token: h.adminToken,
      });
      expect(zero.status).toBe(400);
      expect(zero.body).toEqual({
        page_size: ['Ensure this value is greater than or equal to 1.'],
      });
    }
    const many = await h.request('GET', `/api/v1/patients/?page_size=10000000000`, {
      token: h.adminToken,
    });
    expect(many.body.results.length).toBe(Math.min(100, many.body.count));
  });
});
