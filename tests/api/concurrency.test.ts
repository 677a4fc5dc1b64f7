/**
 * Race-freedom: 50 concurrent requests for one slot accept exactly one, on every adapter
 * (on a PostgreSQL server the requests really run on separate pooled connections).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAdapters, at, createHarness, type Harness } from '../support/api-harness';

describe.each(apiAdapters())('concurrent booking on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('accepts exactly one of 50 concurrent requests for the same slot', async () => {
    const f = await h.fixtures();
    const patients = await Promise.all(
      Array.from({ length: 5 }, () => h.makePatient(f.facility.id)),
    );
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.request('POST', '/api/v1/appointments/', {
          token: f.providerToken,
          body: {
            // Different patients, same provider and facility: only the lock on those serializes them.
            patient: patients[i % patients.length]!.id,
            provider: f.provider.id,
            facility: f.facility.id,
            appointment_type: 'consultation',
            start_time: at(h, 24, i % 3),
            end_time: at(h, 24, 30 + (i % 3)),
          },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
    const list = await h.request('GET', `/api/v1/appointments/?provider=${f.provider.id}`, {
      token: f.providerToken,
    });
    expect(list.body.count).toBe(1);
  });

  it('accepts exactly one of 50 concurrent reschedules into the same slot', async () => {
    const f = await h.fixtures({ capacity: 100 });
    const booked: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await h.request('POST', '/api/v1/appointments/', {
        token: f.providerToken,
        body: {
          patient: f.patient.id,
          provider: f.provider.id,
          facility: f.facility.id,
          appointment_type: 'consultation',
          start_time: at(h, 48 + i),
          end_time: at(h, 48 + i, 30),
        },
      });
      booked.push(res.body.id as string);
    }
    const moves = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.request('PATCH', `/api/v1/appointments/${booked[i % 10]}/`, {
          token: f.providerToken,
          body: { start_time: at(h, 30), end_time: at(h, 30, 30) },
        }),
      ),
    );
    // Several PATCHes target each appointment: after the winner moved, the rest of ITS
    // requests are no-ops (200, nothing changed). Every other appointment must be refused.
    const winners = new Set(moves.filter((r) => r.status === 200).map((r) => r.body.id as string));
    expect(winners.size).toBe(1);
    expect(moves.filter((r) => r.status === 400)).toHaveLength(45);
    const inSlot = await h.request(
      'GET',
      `/api/v1/appointments/?provider=${f.provider.id}&page_size=100`,
      { token: f.providerToken },
    );
    expect(
      inSlot.body.results.filter(
        (a: { start_time: string }) => a.start_time === at(h, 30).replace('.000Z', 'Z'),
      ),
    ).toHaveLength(1);
  });
});
