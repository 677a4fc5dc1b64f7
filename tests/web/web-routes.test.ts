/**
 * What a node serves to browsers at `/`: one HTML shell, one script, one style sheet;
 * strict security headers; nothing from another host; no secrets in the page.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/api-harness';

describe('web UI assets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('sqlite');
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await h.runtime.app.request(`http://clinic.test${path}`, { headers });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  it('serves the shell with a strict content security policy', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.text).toContain('<script src="/ui/app.js" defer></script>');
    expect(res.text).toContain('data-role="edge"');
    // No inline script (the CSP would block it anyway) and nothing from another host.
    expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('builds the client once and serves it with an ETag (304 when unchanged)', async () => {
    const js = await get('/ui/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.text.length).toBeGreaterThan(5_000);
    expect(js.text).toContain('/api/v1');
    // The bundle reaches no other host: no absolute URLs, no CDN.
    expect(js.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get('/ui/app.js', { 'If-None-Match': etag });
    expect(again.status).toBe(304);

    const css = await get('/ui/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.text).not.toMatch(/@import|url\((?!data:)/);
  });

  it('gzips the assets and large API reads for clients that ask, and only those', async () => {
    const plain = await get('/ui/app.js');
    const res = await h.runtime.app.request('http://clinic.test/ui/app.js', {
      headers: { 'Accept-Encoding': 'gzip, deflate' },
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toContain('Accept-Encoding');
    const packed = Buffer.from(await res.arrayBuffer());
    expect(packed.length).toBeLessThan(plain.text.length / 2);
    expect(gunzipSync(packed).toString('utf8')).toBe(plain.text);

    // An API list over 1 KB: gzipped when asked, plain otherwise.
    const f = await h.fixtures();
    const list = (headers: Record<string, string>) =>
      h.runtime.app.request('http://clinic.test/api/v1/users/?page_size=100', {
        headers: { Authorization: `Bearer ${h.adminToken}`, ...headers },
      });
    const zipped = await list({ 'Accept-Encoding': 'gzip' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    const body = JSON.parse(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString('utf8'));
    expect(body.results.map((u: { id: string }) => u.id)).toContain(f.provider.id);
    const unzipped = await list({});
    expect(unzipped.headers.get('content-encoding')).toBeNull();
    expect(((await unzipped.json()) as { count: number }).count).toBe(body.count);
  });

  it('keeps the API answering JSON 404s beside the UI', async () => {
    const res = await get('/api/v1/nope/');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toEqual({ detail: 'Not found.' });
    const other = await get('/no-such-page');
    expect(other.status).toBe(404);
  });
});
