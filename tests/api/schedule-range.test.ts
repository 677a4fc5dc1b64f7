/**
 * `?start_time__gte=` / `?start_time__lt=` on the appointment list (the web UI's day and
 * week schedules), on every adapter: a half-open interval, combinable with the filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAdapters, at, createHarness, type Harness } from '../support/api-harness';

describe.each(apiAdapters())('appointment list by start-time range on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('returns the appointments starting in [gte, lt), in order', async () => {
    const f = await h.fixtures();
    const ids: string[] = [];
    for (const hours of [2, 3, 4]) {
      const res = await h.request('POST', '/api/v1/appointments/', {
        token: f.providerToken,
        body: {
          patient: f.patient.id,
          provider: f.provider.id,
          facility: f.facility.id,
          appointment_type: 'consultation',
          start_time: at(h, hours),
          end_time: at(h, hours, 30),
        },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    const q = (params: string) =>
      h.request('GET', `/api/v1/appointments/?facility=${f.facility.id}&${params}`, {
        token: f.providerToken,
      });
    const middle = await q(
      `start_time__gte=${encodeURIComponent(at(h, 3))}&start_time__lt=${encodeURIComponent(at(h, 4))}`,
    );
    expect(middle.status).toBe(200);
    expect(middle.body.results.map((a: { id: string }) => a.id)).toEqual([ids[1]]);

    const from = await q(`start_time__gte=${encodeURIComponent(at(h, 3))}`);
    expect(from.body.results.map((a: { id: string }) => a.id)).toEqual([ids[1], ids[2]]);
    const before = await q(
      `start_time__lt=${encodeURIComponent(at(h, 3))}&provider=${f.provider.id}`,
    );
    expect(before.body.results.map((a: { id: string }) => a.id)).toEqual([ids[0]]);
  });

  it('refuses a time without an offset, naming the parameter', async () => {
    const f = await h.fixtures();
    const res = await h.request('GET', '/api/v1/appointments/?start_time__gte=2030-01-01T10:00', {
      token: f.providerToken,
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['start_time__gte']);
  });
});
