/** Bad input gets a clear 4xx in the DRF shape; a real failure says only "internal error". */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/api-harness';

describe('error handling', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('sqlite');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers malformed JSON, wrong media types, non-objects and oversized bodies with 4xx JSON', async () => {
    const token = h.adminToken;
    const malformed = await h.request('POST', '/api/v1/appointments/', {
      token,
      raw: '{"patient": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ detail: 'Malformed JSON in request body' });

    const text = await h.request('POST', '/api/v1/patients/', {
      token,
      raw: 'hello',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.detail).toMatch(/Unsupported media type/);

    const list = await h.request('POST', '/api/v1/patients/', { token, body: [1, 2] });
    expect(list.status).toBe(400);
    expect(list.body.non_field_errors).toBeDefined();

    const big = await h.request('POST', '/api/v1/patients/', {
      token,
      body: { first_name: 'x'.repeat(1_100_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ detail: 'Request body is too large (the limit is 1 MB).' });

    const tz = await h.request('POST', '/api/v1/facilities/', {
      token,
      body: { name: 'Clinic', timezone: 'Mars/Olympus' },
    });
    expect(tz.status).toBe(400);
    expect(tz.body).toEqual({ timezone: ['"Mars/Olympus" is not a valid IANA time zone.'] });

    const unknownRef = await h.request('POST', '/api/v1/patients/', {
      token,
      body: {
        patient_id: 'MRN-X',
        first_name: 'A',
        last_name: 'B',
        registered_facility: '0190a000-0000-7000-8000-000000000000',
      },
    });
    expect(unknownRef.status).toBe(400);
    expect(unknownRef.body.registered_facility[0]).toMatch(/does not exist/);

    const unknownPath = await h.request('GET', '/api/v1/nothing-here/', { token });
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.body).toEqual({ detail: 'Not found.' });
  });

  it('never echoes patient data in errors, and answers trailing-slash-less paths', async () => {
    const f = await h.fixtures();
    const dup = await h.request('POST', '/api/v1/patients', {
      token: h.adminToken,
      body: {
        patient_id: f.patient.patient_id,
        first_name: 'Secret',
        last_name: 'Name',
        phone_number: '+254799999999',
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ patient_id: ['A patient with this patient_id already exists.'] });
    expect(JSON.stringify(dup.body)).not.toMatch(/Secret|254799/);
  });

  it('turns an internal failure into a bare 500 "internal error"', async () => {
    const other = await createHarness('sqlite');
    const token = other.adminToken;
    await other.store.close(); // the database goes away under the running app
    const res = await other.request('GET', '/api/v1/facilities/', { token });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.body).toEqual({ detail: 'internal error' });
    const health = await other.request('GET', '/healthz');
    expect(health.status).toBe(503);
    await other.close();
  });
});
