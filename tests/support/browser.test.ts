/**
 * Self-test of the browser harness (browser.ts) on tiny pages served by `node:http`: the
 * checks find what they should, the waits wait, and the session records what the page did.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseOption,
  dateIn,
  documentCookie,
  horizontalOverflow,
  launchBrowser,
  layoutWidth,
  openSession,
  screenshot,
  selectedLabel,
  tabTo,
  unlabelledControls,
  waitForAttribute,
  waitForCount,
  waitForText,
  waitForUrl,
  zonedTime,
  type BrowserSession,
} from './browser';
import { makeTempDir } from './tmp-dir';

const PAGES: Record<string, string> = {
  '/labels': `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>labels</title></head><body>
    <label for="u">Username</label><input id="u">
    <label>Password <input type="password" id="p"></label>
    <span id="lb">Find patient</span><input id="s" aria-labelledby="lb">
    <select title="Facility"><option>A</option></select>
    <button>Log in</button>
    <button aria-label="Close"><svg width="10" height="10"></svg></button>
    <a href="#/x"><img alt="Home" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></a>
    <input type="submit">
    <input id="hidden-ok" style="display:none">
    <div hidden><input id="hidden-too"></div>
    <input type="hidden" name="h">
    <input id="bare" name="bare">
    <textarea id="notes" placeholder="Notes"></textarea>
    <button id="empty"></button>
    <a href="#/nowhere" id="emptylink"></a>
    <span id="nothing"></span><select aria-labelledby="nothing" id="sel"><option>x</option></select>
  </body></html>`,
  '/wide': `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="margin:0">
    <div style="width:2000px;height:10px;background:red"></div></body></html>`,
  '/narrow': `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="margin:0">
    <div style="max-width:100%;height:10px;background:green"></div>
    <label for="one">One</label><input id="one"><label for="two">Two</label><input id="two">
    <button id="skip" tabindex="-1">Skipped</button><button>Three</button></body></html>`,
  '/app': `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
    <p id="later" role="status" data-state="offline">Offline</p>
    <label for="pick">Provider</label><select id="pick"><option value="">All providers</option></select>
    <script>
      console.error('something broke');
      fetch('/api/ping').then(function (r) { return r.text(); });
      setTimeout(function () {
        var el = document.getElementById('later');
        el.textContent = 'Online, 0 pending';
        el.setAttribute('data-state', 'online');
        var o = document.createElement('option'); o.value = 'id-42'; o.textContent = 'Dr. Amina Doctor';
        document.getElementById('pick').appendChild(o);
        location.hash = '#/appointments/abc';
      }, 400);
      setTimeout(function () { throw new Error('late boom'); }, 100);
    </script></body></html>`,
  '/foreign': `<!doctype html><html><body><img alt="x" src="http://127.0.0.2:9/pixel.png"></body></html>`,
};

let server: Server;
let origin: string;
let browser: Browser;
const sessions: BrowserSession[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/ping') {
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Set-Cookie': 'secret_access=s3cret; Path=/; HttpOnly; SameSite=Strict',
      });
      res.end('pong');
      return;
    }
    const html = PAGES[path];
    res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => {});
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function session(viewport: 'desktop' | 'phone' = 'desktop'): Promise<BrowserSession> {
  const s = await openSession(browser, { viewport, baseURL: origin });
  sessions.push(s);
  return s;
}

describe('browser harness', () => {
  it('finds exactly the visible controls without an accessible name', async () => {
    const { page } = await session();
    await page.goto('/labels');
    const found = await unlabelledControls(page);
    const ids = found.map((d) => /id="([^"]+)"/.exec(d)?.[1] ?? d);
    expect(ids.sort()).toEqual(['bare', 'empty', 'emptylink', 'notes', 'sel']);
  });

  it('measures horizontal overflow, and a phone lays out 390 px wide', async () => {
    const desktop = await session();
    await desktop.page.goto('/wide');
    expect(await horizontalOverflow(desktop.page)).toBeGreaterThan(600);
    await desktop.page.goto('/narrow');
    expect(await horizontalOverflow(desktop.page)).toBeLessThanOrEqual(0);
    expect(await layoutWidth(desktop.page)).toBe(1366);

    const phone = await session('phone');
    await phone.page.goto('/narrow');
    expect(await layoutWidth(phone.page)).toBe(390);
    expect(await horizontalOverflow(phone.page)).toBeLessThanOrEqual(0);
    await phone.page.goto('/wide');
    expect(await horizontalOverflow(phone.page)).toBeGreaterThan(1000);
  });

  it('tabs to a control by locator or accessible name, and says where the focus went when it cannot', async () => {
    const { page } = await session();
    await page.goto('/narrow');
    expect(await tabTo(page, page.getByLabel('Two'))).toBe(2);
    expect(await tabTo(page, 'Three')).toBe(1);
    await expect(tabTo(page, page.getByRole('button', { name: 'Skipped' }), 8)).rejects.toThrow(
      /Tab never reached[\s\S]*"Three"/,
    );
  });

  it('records requests, errors and cookies, and waits for text, attributes, options and URLs', async () => {
    const s = await session();
    await s.page.goto('/app');
    const status = s.page.getByRole('status');
    expect(await waitForText(status, /Online/)).toBe('Online, 0 pending');
    expect(await waitForAttribute(status, 'data-state', 'online')).toBe('online');
    expect(await waitForUrl(s.page, /#\/appointments\/abc$/)).toMatch(/abc$/);
    const select = s.page.getByLabel('Provider', { exact: true });
    expect(await chooseOption(select, 'Amina')).toBe('id-42');
    expect(await selectedLabel(select)).toBe('Dr. Amina Doctor');
    await waitForCount(s.page.getByRole('option'), 2);
    await expect(waitForText(status, 'never', { timeoutMs: 300 })).rejects.toThrow(
      /never showed text never.*last seen: "Online, 0 pending"/,
    );

    await s.settle();
    expect(s.requests).toEqual([`${origin}/app`, `${origin}/api/ping`]);
    expect(s.foreignRequests(origin)).toEqual([]);
    expect(s.consoleErrors.join('\n')).toContain('something broke');
    expect(s.pageErrors.join('\n')).toContain('late boom');
    expect(s.problems()).toHaveLength(2);

    const cookies = await s.context.cookies(origin);
    expect(cookies.find((c) => c.name === 'secret_access')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(await documentCookie(s.page)).not.toContain('s3cret');
  });

  it('reports requests to other hosts', async () => {
    const s = await session();
    await s.page.goto('/foreign');
    await s.settle();
    expect(s.foreignRequests(origin)).toEqual(['http://127.0.0.2:9/pixel.png']);
    expect(s.failedRequests.join('\n')).toContain('127.0.0.2:9');
  });

  it('saves screenshots', async () => {
    const { page } = await session();
    await page.goto('/labels');
    const dir = await makeTempDir('browser-harness');
    try {
      const path = await screenshot(page, 'harness-self-test', { dir: dir.path });
      expect(path).toBe(join(dir.path, 'harness-self-test.png'));
      expect(existsSync(path)).toBe(true);
    } finally {
      await dir.cleanup();
    }
  });

  it('converts wall-clock times of a facility', () => {
    expect(zonedTime('2025-01-15', '10:00', 'Africa/Nairobi').toISOString()).toBe(
      '2025-01-15T07:00:00.000Z',
    );
    expect(zonedTime('2025-07-01', '09:30', 'America/New_York').toISOString()).toBe(
      '2025-07-01T13:30:00.000Z',
    );
    const now = new Date('2025-03-31T22:30:00Z');
    expect(dateIn('Africa/Nairobi', 0, now)).toBe('2025-04-01');
    expect(dateIn('Africa/Nairobi', 1, now)).toBe('2025-04-02');
    expect(dateIn('UTC', 0, now)).toBe('2025-03-31');
  });
});
