/**
 * /api/v1/notifications on every adapter: admins only, masked addresses, filters, the dead
 * letter (`status=failed`) and its retry action, with the spec's error shapes.
 */
import { CENTRAL_OWNER } from '@clinic/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAdapters, at, createHarness, type Harness } from '../support/api-harness';

describe.each(apiAdapters())('notifications API on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function book(): Promise<string> {
    const f = await h.fixtures();
    const res = await h.request('POST', '/api/v1/appointments/', {
      token: f.providerToken,
      body: {
        patient: f.patient.id,
        provider: f.provider.id,
        facility: f.facility.id,
        appointment_type: 'consultation',
        start_time: at(h, 5),
        end_time: at(h, 5, 30),
      },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  it('lists the queue to admins only, with masked addresses and filters', async () => {
    const id = await book();
    const f = await h.fixtures();
    const forbidden = await h.request('GET', '/api/v1/notifications/', {
      token: f.providerToken,
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toHaveProperty('detail');
    expect((await h.request('GET', '/api/v1/notifications/', { token: null })).status).toBe(401);

    const res = await h.request('GET', `/api/v1/notifications/?appointment=${id}`, {
      token: h.adminToken,
    });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(4);
    for (const n of res.body.results) {
      expect(n).toMatchObject({
        appointment: id,
        event: 'created',
        status: 'pending',
        attempts: 0,
        delivered_by: CENTRAL_OWNER,
        sent_at: null,
      });
      expect(n.address).toContain('*');
    }
    const emails = res.body.results.filter((n: { method: string }) => n.method === 'email');
    expect(emails.every((n: { address: string }) => /^.\*\*\*@/.test(n.address))).toBe(true);

    const dead = await h.request('GET', '/api/v1/notifications/?status=failed', {
      token: h.adminToken,
    });
    expect(dead.body).toMatchObject({ count: 0, results: [] });
    const bad = await h.request('GET', '/api/v1/notifications/?status=lost', {
      token: h.adminToken,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toHaveProperty('status');
  });

  it('retries a failed notification this node delivers, and refuses anything else clearly', async () => {
    const id = await book();
    const list = await h.request('GET', `/api/v1/notifications/?appointment=${id}`, {
      token: h.adminToken,
    });
    const [first, second] = list.body.results as { id: string }[];
    const self = h.runtime.notifySettings.self;
    await h.store.write(async (tx) => {
      const a = await tx.getNotification(first!.id);
      await tx.updateNotification({
        ...a!,
        owner: self,
        status: 'failed',
        attempts: 8,
        last_error: '550 mailbox unavailable',
      });
      const b = await tx.getNotification(second!.id);
      await tx.updateNotification({ ...b!, status: 'failed', attempts: 8 });
    });
    const dead = await h.request('GET', '/api/v1/notifications/?status=failed', {
      token: h.adminToken,
    });
    expect(dead.body.results.map((n: { id: string }) => n.id)).toEqual(
      expect.arrayContaining([first!.id, second!.id]),
    );

    const retried = await h.request('POST', `/api/v1/notifications/${first!.id}/retry/`, {
      token: h.adminToken,
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 0, last_error: null });

    const again = await h.request('POST', `/api/v1/notifications/${first!.id}/retry/`, {
      token: h.adminToken,
    });
    expect(again.status).toBe(400);
    expect(again.body.status[0]).toMatch(/Only failed notifications/);

    // Central delivers the other one: retrying it here would make a second sender.
    const elsewhere = await h.request('POST', `/api/v1/notifications/${second!.id}/retry/`, {
      token: h.adminToken,
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.owner[0]).toMatch(/Central delivers/);

    const missing = await h.request(
      'POST',
      '/api/v1/notifications/00000000-0000-7000-8000-000000000000/retry/',
      { token: h.adminToken },
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toHaveProperty('detail');
  });
});
