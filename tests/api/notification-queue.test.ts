/**
 * Every appointment event queues its notifications in the same transaction as the change
 * (checked in the SQLite file itself), and a refused change queues nothing.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, createHarness, type Harness } from '../support/api-harness';

describe('notification queue', () => {
  let h: Harness;
  let db: Database.Database;
  beforeAll(async () => {
    h = await createHarness('sqlite');
    db = new Database(join(h.dataDir, 'clinic.db'), { readonly: true });
  });
  afterAll(async () => {
    db?.close();
    await h?.close();
  });

  const queued = (appointment: string) =>
    db
      .prepare(
        'SELECT event, recipient, channel, address, status, dedupe_key FROM notifications WHERE appointment_id = ? ORDER BY event, recipient, channel',
      )
      .all(appointment) as {
      event: string;
      recipient: string;
      channel: string;
      address: string;
      status: string;
      dedupe_key: string;
    }[];

  it('queues email and SMS to patient and provider for created, updated and cancelled', async () => {
    const f = await h.fixtures();
    const body = {
      patient: f.patient.id,
      provider: f.provider.id,
      facility: f.facility.id,
      appointment_type: 'consultation',
      start_time: at(h, 24),
      end_time: at(h, 24, 30),
    };
    const created = await h.request('POST', '/api/v1/appointments/', {
      token: f.providerToken,
      body,
    });
    const id = created.body.id as string;
    expect(queued(id).map((n) => `${n.event}/${n.recipient}/${n.channel}/${n.status}`)).toEqual([
      'created/patient/email/pending',
      'created/patient/sms/pending',
      'created/provider/email/pending',
      'created/provider/sms/pending',
    ]);
    expect(queued(id).find((n) => n.recipient === 'patient' && n.channel === 'sms')?.address).toBe(
      f.patient.phone_number,
    );

    // A refused booking (conflict) writes nothing at all.
    const before = (db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number }).n;
    expect(
      (await h.request('POST', '/api/v1/appointments/', { token: f.providerToken, body })).status,
    ).toBe(400);
    expect((db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number }).n).toBe(
      before,
    );

    await h.request('PATCH', `/api/v1/appointments/${id}/`, {
      token: f.providerToken,
      body: { reason: 'moved' },
    });
    await h.request('POST', `/api/v1/appointments/${id}/cancel/`, { token: f.providerToken });
    const events = queued(id).map((n) => n.event);
    expect(events.filter((e) => e === 'updated')).toHaveLength(4);
    expect(events.filter((e) => e === 'cancelled')).toHaveLength(4);
    // Completing queues nothing (the spec's events are created, updated, cancelled).
    expect(new Set(queued(id).map((n) => n.dedupe_key)).size).toBe(12);
    // Nothing was delivered, so nothing is claimed as sent.
    const detail = await h.request('GET', `/api/v1/appointments/${id}/`, {
      token: f.providerToken,
    });
    expect(detail.body.notifications_sent).toEqual([]);
  });

  it('skips a channel the person has no address for', async () => {
    const f = await h.fixtures();
    const quiet = await h.request('POST', '/api/v1/patients/', {
      token: f.providerToken,
      body: { patient_id: `MRN-quiet-${Date.now()}`, first_name: 'No', last_name: 'Phone' },
    });
    const res = await h.request('POST', '/api/v1/appointments/', {
      token: f.providerToken,
      body: {
        patient: quiet.body.id,
        provider: f.provider.id,
        facility: f.facility.id,
        appointment_type: 'consultation',
        start_time: at(h, 30),
        end_time: at(h, 30, 30),
      },
    });
    const created = queued(res.body.id).filter((n) => n.event === 'created');
    expect(created.map((n) => `${n.recipient}/${n.channel}`)).toEqual([
      'provider/email',
      'provider/sms',
    ]);
  });
});
