/** The fakes refuse what the real gateways refuse: wrong auth, content type, missing fields. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAfricasTalking, startFakeTwilio, startFakeWebhook } from './fake-sms-gateways';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const FORM = 'application/x-www-form-urlencoded';

describe("fake Africa's Talking", () => {
  it('checks the apiKey, username, content type and fields', async () => {
    const at = await startFakeAfricasTalking();
    closers.push(at.close);
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${at.url}/version1/messaging`, { method: 'POST', headers, body });
    const good = { apiKey: at.apiKey, Accept: 'application/json', 'Content-Type': FORM };
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

    expect(
      (
        await post(
          { ...good, apiKey: 'x' },
          form({ username: at.username, to: '+254700000001', message: 'm' }),
        )
      ).status,
    ).toBe(401);
    expect(
      (await post(good, form({ username: 'other', to: '+254700000001', message: 'm' }))).status,
    ).toBe(401);
    expect((await post({ ...good, 'Content-Type': 'application/json' }, '{}')).status).toBe(415);
    expect((await post(good, form({ username: at.username, to: '+254700000001' }))).status).toBe(
      400,
    );
    const xml = await post(
      { ...good, Accept: '*/*' },
      form({ username: at.username, to: '+254700000001', message: 'm' }),
    );
    expect(xml.headers.get('content-type')).toContain('xml');
    const ok = await post(good, form({ username: at.username, to: '+254700000001', message: 'm' }));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({
      SMSMessageData: {
        Recipients: [{ statusCode: 101, number: '+254700000001', status: 'Success' }],
      },
    });
    expect(at.messages).toHaveLength(1);
    expect(at.requests).toBe(6);
  });
});

describe('fake Twilio', () => {
  it('checks basic auth against the account in the path, and the fields', async () => {
    const tw = await startFakeTwilio();
    closers.push(tw.close);
    const auth = `Basic ${Buffer.from(`${tw.accountSid}:${tw.authToken}`).toString('base64')}`;
    const post = (sid: string, authorization: string, fields: Record<string, string>) =>
      fetch(`${tw.url}/2010-04-01/Accounts/${sid}/Messages.json`, {
        method: 'POST',
        headers: { Authorization: authorization, 'Content-Type': FORM },
        body: new URLSearchParams(fields).toString(),
      });
    const fields = { To: '+254700000001', From: '+15005550006', Body: 'hi' };
    expect((await post('ACother', auth, fields)).status).toBe(401);
    expect((await post(tw.accountSid, 'Basic eDp5', fields)).status).toBe(401);
    const noBody = await post(tw.accountSid, auth, { To: fields.To, From: fields.From });
    expect(await noBody.json()).toMatchObject({ code: 21602, status: 400 });
    const noFrom = await post(tw.accountSid, auth, { To: fields.To, Body: 'hi' });
    expect(await noFrom.json()).toMatchObject({ code: 21603 });
    const ok = await post(tw.accountSid, auth, fields);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ status: 'queued', to: fields.To, body: 'hi' });
    expect(tw.messages).toHaveLength(1);
  });
});

describe('fake webhook', () => {
  it('checks the token, the JSON and the Idempotency-Key, and hangs on request', async () => {
    const hook = await startFakeWebhook({ token: 't' });
    closers.push(hook.close);
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(body) });
    const good = {
      Authorization: 'Bearer t',
      'Content-Type': 'application/json',
      'Idempotency-Key': 'k1',
    };
    const payload = { to: '+254700000001', text: 'hi', idempotency_key: 'k1' };
    expect((await post({ ...good, Authorization: 'Bearer x' }, payload)).status).toBe(401);
    expect((await post({ ...good, 'Idempotency-Key': 'k2' }, payload)).status).toBe(400);
    expect((await post(good, { ...payload, text: '' })).status).toBe(400);
    expect((await post(good, payload)).status).toBe(200);
    hook.setFailure('hang');
    await expect(
      fetch(hook.url, {
        method: 'POST',
        headers: good,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    expect(hook.messages).toHaveLength(1);
  });
});
