/** The spec's appointment endpoints, through the HTTP app, on every storage adapter. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiAdapters,
  at,
  createHarness,
  type Fixtures,
  type Harness,
} from '../support/api-harness';

describe.each(apiAdapters())('appointments API on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  function booking(
    f: Fixtures,
    startHours: number,
    minutes = 30,
    extra: Record<string, unknown> = {},
  ) {
    return {
      patient: f.patient.id,
      provider: f.provider.id,
      facility: f.facility.id,
      appointment_type: 'consultation',
      reason: 'Routine checkup',
      start_time: at(h, startHours),
      end_time: at(h, startHours, minutes),
      ...extra,
    };
  }

  async function book(f: Fixtures, body: Record<string, unknown>) {
    return h.request('POST', '/api/v1/appointments/', { body, token: f.providerToken });
  }

  it('creates an appointment with every field of the spec', async () => {
    const f = await h.fixtures();
    const res = await book(f, booking(f, 24));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      patient: f.patient.id,
      patient_name: `John ${f.patient.last_name}`,
      provider: f.provider.id,
      provider_name: `Dr. Jane ${f.provider.last_name}`,
      facility: f.facility.id,
      facility_name: f.facility.name,
      appointment_type: 'consultation',
      reason: 'Routine checkup',
      status: 'scheduled',
      start_time: at(h, 24).replace('.000Z', 'Z'),
      end_time: at(h, 24, 30).replace('.000Z', 'Z'),
      duration_minutes: 30,
      is_upcoming: true,
      created_by: f.provider.id,
      version: 1,
      notifications_sent: [],
    });
    expect(res.body.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(res.body.created_at).toMatch(/Z$/);
  });

  it('applies every validation rule and reports each problem on its field', async () => {
    const f = await h.fixtures();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [booking(f, -1), 'start_time', /future/],
      [{ ...booking(f, 30), end_time: at(h, 29) }, 'end_time', /after start/],
      [{ ...booking(f, 30), end_time: at(h, 30) }, 'end_time', /after start/],
      [booking(f, 30, 4), 'end_time', /at least 5 minutes/],
      [booking(f, 30, 13 * 60), 'end_time', /12 hours/],
      [
        { ...booking(f, 30), patient: '0190a000-0000-7000-8000-000000000000' },
        'patient',
        /does not exist/,
      ],
      [{ ...booking(f, 30), provider: 'not-a-uuid' }, 'provider', /not a valid UUID/],
      [{ ...booking(f, 30), start_time: '2031-01-15 10:00' }, 'start_time', /wrong format/],
      [{ ...booking(f, 30), start_time: '2031-02-30T10:00:00Z' }, 'start_time', /wrong format/],
      [
        { ...booking(f, 30), appointment_type: 'surgery' },
        'appointment_type',
        /not a valid choice/,
      ],
      [{ ...booking(f, 30), facility: undefined }, 'facility', /required/],
      [{ ...booking(f, 30), reason: 42 }, 'reason', /valid string/],
    ];
    for (const [body, field, message] of cases) {
      const res = await book(f, body);
      expect(res.status, `${field}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body[field]?.join(' ')).toMatch(message);
    }
  });

  it('refuses inactive or ineligible providers and inactive patients', async () => {
    const f = await h.fixtures();
    const inactive = await h.makeProvider(f.facility.id, { is_active: false });
    const pharmacist = await h.makeProvider(f.facility.id, { user_type: 'pharmacist' });
    const gone = await h.makePatient(f.facility.id, { is_active: false });
    expect((await book(f, booking(f, 40, 30, { provider: inactive.id }))).body).toEqual({
      provider: ['Provider is not active.'],
    });
    expect(
      (await book(f, booking(f, 40, 30, { provider: pharmacist.id }))).body.provider[0],
    ).toMatch(/must be a doctor, nurse, midwife, community_worker/);
    expect((await book(f, booking(f, 40, 30, { patient: gone.id }))).body).toEqual({
      patient: ['Patient is not active.'],
    });
    const nurse = await h.makeProvider(f.facility.id, { user_type: 'community_worker' });
    expect((await book(f, booking(f, 40, 30, { provider: nurse.id }))).status).toBe(201);
  });

  it('reports every conflicting dimension at once, with the spec messages', async () => {
    const f = await h.fixtures();
    expect((await book(f, booking(f, 50))).status).toBe(201);
    const res = await book(f, booking(f, 50, 45));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      provider: ['Provider already has an appointment in this window.'],
      patient: ['Patient already has an appointment in this window.'],
      facility: ['Facility already has an appointment in this window.'],
    });
    const onlyProvider = await book(f, booking(f, 50, 30, { patient: f.patient2.id }));
    expect(Object.keys(onlyProvider.body).sort()).toEqual(['facility', 'provider']);
  });

  it('allows back-to-back bookings and bookings over cancelled or completed ones', async () => {
    const f = await h.fixtures();
    const first = await book(f, booking(f, 60));
    expect(
      (await book(f, { ...booking(f, 60), start_time: at(h, 60, 30), end_time: at(h, 61) })).status,
    ).toBe(201);
    expect(
      (await book(f, { ...booking(f, 59), start_time: at(h, 59, 30), end_time: at(h, 60) })).status,
    ).toBe(201);
    await h.request('POST', `/api/v1/appointments/${first.body.id}/cancel/`, {
      token: f.providerToken,
    });
    expect((await book(f, booking(f, 60, 15))).status).toBe(201);
  });

  it('counts no-show appointments as holding their slot', async () => {
    const f = await h.fixtures();
    const first = await book(f, booking(f, 70));
    await h.request('POST', `/api/v1/appointments/${first.body.id}/mark-no-show/`, {
      token: f.providerToken,
    });
    expect((await book(f, booking(f, 70, 10))).body.provider).toBeDefined();
  });

  it('lets a facility hold as many overlapping appointments as its capacity', async () => {
    const f = await h.fixtures({ capacity: 2 });
    const p3 = await h.makeProvider(f.facility.id);
    const pt3 = await h.makePatient(f.facility.id);
    expect((await book(f, booking(f, 80))).status).toBe(201);
    expect(
      (await book(f, booking(f, 80, 30, { provider: f.provider2.id, patient: f.patient2.id })))
        .status,
    ).toBe(201);
    const third = await book(f, booking(f, 80, 30, { provider: p3.id, patient: pt3.id }));
    expect(third.status).toBe(400);
    expect(third.body).toEqual({
      facility: ['Facility already has an appointment in this window.'],
    });
  });

  it('retrieves with notifications_sent showing only delivered notifications', async () => {
    const f = await h.fixtures();
    const created = await book(f, booking(f, 90));
    const res = await h.request('GET', `/api/v1/appointments/${created.body.id}`, {
      token: f.providerToken,
    });
    expect(res.status).toBe(200);
    expect(res.body.notifications_sent).toEqual([]);
    expect(
      (
        await h.request('GET', '/api/v1/appointments/0190a000-0000-7000-8000-000000000000/', {
          token: f.providerToken,
        })
      ).status,
    ).toBe(404);
    expect(
      (await h.request('GET', '/api/v1/appointments/nope/', { token: f.providerToken })).status,
    ).toBe(404);
  });

  it('PATCH reschedules with a conflict check, and PUT needs every field', async () => {
    const f = await h.fixtures();
    const a = await book(f, booking(f, 100));
    const b = await book(f, booking(f, 101, 30, { patient: f.patient2.id }));
    const clash = await h.request('PATCH', `/api/v1/appointments/${b.body.id}/`, {
      token: f.providerToken,
      body: { start_time: at(h, 100, 15), end_time: at(h, 100, 45) },
    });
    expect(clash.status).toBe(400);
    expect(clash.body.provider).toEqual(['Provider already has an appointment in this window.']);
    const moved = await h.request('PATCH', `/api/v1/appointments/${b.body.id}/`, {
      token: f.providerToken,
      body: { start_time: at(h, 102), end_time: at(h, 102, 45) },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ duration_minutes: 45, version: 2 });
    // Changing only the reason needs no conflict check.
    const reason = await h.request('PATCH', `/api/v1/appointments/${a.body.id}`, {
      token: f.providerToken,
      body: { reason: 'Follow-up' },
    });
    expect(reason.body.reason).toBe('Follow-up');
    const put = await h.request('PUT', `/api/v1/appointments/${a.body.id}/`, {
      token: f.providerToken,
      body: { reason: 'x' },
    });
    expect(put.status).toBe(400);
    expect(put.body.start_time).toEqual(['This field is required.']);
    const full = await h.request('PUT', `/api/v1/appointments/${a.body.id}/`, {
      token: f.providerToken,
      body: { ...booking(f, 103), appointment_type: 'follow_up' },
    });
    expect(full.status).toBe(200);
    expect(full.body.appointment_type).toBe('follow_up');
  });

  it('runs the status machine: scheduled -> completed | cancelled | no_show, nothing else', async () => {
    const f = await h.fixtures();
    for (const [action, status] of [
      ['cancel', 'cancelled'],
      ['complete', 'completed'],
      ['mark-no-show', 'no_show'],
    ] as const) {
      const a = await book(f, booking(f, 110));
      const res = await h.request('POST', `/api/v1/appointments/${a.body.id}/${action}/`, {
        token: f.providerToken,
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
      for (const again of ['cancel', 'complete', 'mark-no-show']) {
        const second = await h.request('POST', `/api/v1/appointments/${a.body.id}/${again}`, {
          token: f.providerToken,
        });
        expect(second.status).toBe(400);
        expect(second.body.status[0]).toMatch(/Cannot change status/);
      }
      const edit = await h.request('PATCH', `/api/v1/appointments/${a.body.id}/`, {
        token: f.providerToken,
        body: { reason: 'late edit' },
      });
      expect(edit.status).toBe(400);
      if (status === 'no_show') break;
      // free the slot for the next round
    }
    const viaPatch = await book(f, booking(f, 112));
    const patched = await h.request('PATCH', `/api/v1/appointments/${viaPatch.body.id}/`, {
      token: f.providerToken,
      body: { status: 'completed' },
    });
    expect(patched.body.status).toBe('completed');
  });

  it('DELETE answers 204 and the appointment is gone from reads and frees its slot', async () => {
    const f = await h.fixtures();
    const a = await book(f, booking(f, 120));
    const del = await h.request('DELETE', `/api/v1/appointments/${a.body.id}/`, {
      token: f.providerToken,
    });
    expect(del.status).toBe(204);
    expect(
      (await h.request('GET', `/api/v1/appointments/${a.body.id}/`, { token: f.providerToken }))
        .status,
    ).toBe(404);
    const list = await h.request('GET', `/api/v1/appointments/?provider=${f.provider.id}`, {
      token: f.providerToken,
    });
    expect(list.body.count).toBe(0);
    expect((await book(f, booking(f, 120))).status).toBe(201);
    expect(
      (await h.request('DELETE', `/api/v1/appointments/${a.body.id}/`, { token: f.providerToken }))
        .status,
    ).toBe(404);
  });

  it('check-conflicts reports overlapping appointments with patient names', async () => {
    const f = await h.fixtures({ capacity: 5 });
    const a = await book(f, booking(f, 130));
    const free = await h.request('POST', `/api/v1/appointments/${a.body.id}/check-conflicts/`, {
      token: f.providerToken,
    });
    expect(free.body).toEqual({ has_conflicts: false, conflicts: {} });
    const slot = await h.request('POST', '/api/v1/appointments/check-conflicts/', {
      token: f.providerToken,
      body: {
        patient: f.patient2.id,
        provider: f.provider.id,
        facility: f.facility.id,
        start_time: at(h, 130, 15),
        end_time: at(h, 130, 45),
      },
    });
    expect(slot.body).toEqual({
      has_conflicts: true,
      conflicts: {
        provider: [
          {
            id: a.body.id,
            start_time: a.body.start_time,
            end_time: a.body.end_time,
            patient__first_name: 'John',
            patient__last_name: f.patient.last_name,
          },
        ],
      },
    });
  });

  it('lists with pagination, filters, search and ordering', async () => {
    const f = await h.fixtures({ capacity: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 23; i += 1) {
      const res = await book(
        f,
        booking(
          f,
          200 + i,
          30,
          i % 2
            ? { provider: f.provider2.id, patient: f.patient2.id, appointment_type: 'vaccination' }
            : {},
        ),
      );
      expect(res.status).toBe(201);
      ids.push(res.body.id);
      h.clock.advance(1000);
    }
    const base = `/api/v1/appointments/?facility=${f.facility.id}`;
    const p1 = await h.request('GET', base, { token: f.providerToken });
    expect(p1.body.count).toBe(23);
    expect(p1.body.results).toHaveLength(20);
    expect(p1.body.previous).toBeNull();
    expect(p1.body.next).toContain('page=2');
    const p2 = await h.request(
      'GET',
      new URL(p1.body.next).pathname + new URL(p1.body.next).search,
      { token: f.providerToken },
    );
    expect(p2.body.results.map((r: { id: string }) => r.id)).toEqual(ids.slice(20));
    expect(p2.body.next).toBeNull();
    expect(p2.body.previous).not.toContain('page=');
    const pastEnd = await h.request('GET', `${base}&page=3`, { token: f.providerToken });
    expect(pastEnd.status).toBe(404);
    expect(pastEnd.body).toEqual({ detail: 'Invalid page.' });
    expect(
      (await h.request('GET', `${base}&page_size=5`, { token: f.providerToken })).body.results,
    ).toHaveLength(5);
    expect(
      (await h.request('GET', `${base}&page_size=500`, { token: f.providerToken })).body.results,
    ).toHaveLength(23);

    const desc = await h.request('GET', `${base}&ordering=-start_time&page_size=100`, {
      token: f.providerToken,
    });
    expect(desc.body.results.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
    const created = await h.request('GET', `${base}&ordering=-created_at&page_size=1`, {
      token: f.providerToken,
    });
    expect(created.body.results[0].id).toBe(ids[22]);

    const byType = await h.request('GET', `${base}&appointment_type=vaccination`, {
      token: f.providerToken,
    });
    expect(byType.body.count).toBe(11);
    const byProvider = await h.request(
      'GET',
      `${base}&provider=${f.provider2.id}&status=scheduled`,
      { token: f.providerToken },
    );
    expect(byProvider.body.count).toBe(11);
    const searchMrn = await h.request(
      'GET',
      `${base}&search=${encodeURIComponent(f.patient2.patient_id.toLowerCase())}`,
      { token: f.providerToken },
    );
    expect(searchMrn.body.count).toBe(11);
    const searchProvider = await h.request(
      'GET',
      `/api/v1/appointments/?search=${encodeURIComponent(`jane ${f.provider.last_name}`)}`,
      { token: f.providerToken },
    );
    expect(searchProvider.body.count).toBe(12);
    const searchPatient = await h.request(
      'GET',
      `/api/v1/appointments/?search=${f.patient.last_name.toUpperCase()}`,
      { token: f.providerToken },
    );
    expect(searchPatient.body.count).toBe(12);

    for (const bad of ['ordering=name', 'status=done', 'provider=abc', 'page=x', 'page_size=-1']) {
      const res = await h.request('GET', `/api/v1/appointments/?${bad}`, {
        token: f.providerToken,
      });
      expect(res.status, bad).toBe(400);
      expect(Object.keys(res.body)).toHaveLength(1);
    }
  });

  it('serves upcoming, by-provider and by-patient', async () => {
    const f = await h.fixtures({ capacity: 10 });
    const soon = await book(f, booking(f, 1));
    const later = await book(
      f,
      booking(f, 300, 30, { provider: f.provider2.id, patient: f.patient2.id }),
    );
    const cancelled = await book(f, booking(f, 301));
    await h.request('POST', `/api/v1/appointments/${cancelled.body.id}/cancel/`, {
      token: f.providerToken,
    });
    h.clock.advance(2 * 3600_000); // `soon` is now in the past (and the old token expired)
    f.providerToken = await h.login(f.provider.username, 'provider-password-1');
    const upcoming = await h.request(
      'GET',
      `/api/v1/appointments/upcoming/?facility=${f.facility.id}`,
      { token: f.providerToken },
    );
    expect(upcoming.body.results.map((r: { id: string }) => r.id)).toEqual([later.body.id]);
    const byProvider = await h.request(
      'GET',
      `/api/v1/appointments/by-provider/${f.provider.id}/`,
      { token: f.providerToken },
    );
    expect(byProvider.body.results.map((r: { id: string }) => r.id)).toEqual([
      soon.body.id,
      cancelled.body.id,
    ]);
    const byPatient = await h.request('GET', `/api/v1/appointments/by-patient/${f.patient2.id}`, {
      token: f.providerToken,
    });
    expect(byPatient.body.results.map((r: { id: string }) => r.id)).toEqual([later.body.id]);
    expect(
      (await h.request('GET', '/api/v1/appointments/by-patient/xyz/', { token: f.providerToken }))
        .status,
    ).toBe(400);
  });
});
