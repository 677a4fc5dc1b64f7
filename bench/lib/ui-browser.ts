/**
 * The web UI in Debian's Chromium (`/usr/bin/chromium`, driven by playwright-core; a
 * browser is never downloaded), against a running clinic node. Each run is a fresh browser
 * context (an empty HTTP cache, no cookies), 1366x768:
 *
 * 1. cold: `page.goto('/')` until the login form's Username field is visible;
 * 2. warm: `page.goto('/')` again in the same context (the cache now holds the script and
 *    the style sheet; both are `no-cache` with an ETag, so they are revalidated: 304);
 * 3. login: fill Username and Password, click "Log in", until the Schedule screen's heading
 *    "Schedule" and its day list (`ol.day`) are visible;
 * 4. week: select "Week" in "View" until the week `table` is visible.
 *
 * Each step is timed twice: by the driver (from the Playwright call to the end of the wait,
 * so it includes the CDP round trips and Playwright's polling) and in the page (an init
 * script's MutationObserver notes `performance.now()` when the element enters the DOM;
 * loads count from the navigation start, the others from the click / change event).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { log } from './log';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const TIMEOUT_MS = 30_000;

// Plain JavaScript for the page (the bench's tsconfig has no DOM library).
const MARKS_SCRIPT = `(() => {
  const marks = (window.__uiBench = {});
  const once = (key, test) => {
    if (!(key in marks) && test()) marks[key] = performance.now();
  };
  const check = () => {
    once('loginForm', () => !!document.querySelector('form.login-form input[name=username]'));
    once('scheduleDay', () =>
      [...document.querySelectorAll('main h1')].some((h) => h.textContent === 'Schedule') &&
      !!document.querySelector('main .schedule-body ol.day, main .schedule-body .empty'));
    once('weekTable', () => !!document.querySelector('main .schedule-body table.week'));
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener('click', (e) => {
    const t = e.target;
    if (t && t.closest && t.closest('form.login-form button[type=submit]')) marks.loginClick = performance.now();
  }, true);
  document.addEventListener('change', (e) => {
    const t = e.target;
    if (t && t.tagName === 'SELECT' && t.value === 'week') marks.viewChange = performance.now();
  }, true);
})();`;

/** One API request the page made during a step (Resource Timing, relative to the step). */
export interface ApiCall {
  /** `GET /api/v1/appointments/ page=2` */
  what: string;
  startMs: number;
  durationMs: number;
}

export interface BrowserRun {
  coldMs: number;
  coldInPageMs: number;
  warmMs: number;
  warmInPageMs: number;
  loginMs: number;
  loginInPageMs: number;
  /** The page's API requests after the click, in order. */
  loginApi: ApiCall[];
  weekMs: number;
  weekInPageMs: number;
  weekApi: ApiCall[];
  /** Entries in the day list and in the week table. */
  dayItems: number;
  weekItems: number;
  /** Requests of the cold load until the form showed, with their HTTP status. */
  coldRequests: string[];
  warmRequests: string[];
}

export interface BrowserResult {
  chromium: string;
  runs: BrowserRun[];
  pageErrors: string[];
}

async function marks(page: Page): Promise<Record<string, number>> {
  return (await page.evaluate('window.__uiBench || {}')) as Record<string, number>;
}

/** The page's /api/ requests that started after `since` (page clock), from Resource Timing. */
async function apiCalls(page: Page, since: number): Promise<ApiCall[]> {
  const entries = (await page.evaluate(`performance
    .getEntriesByType('resource')
    .filter((e) => e.name.includes('/api/') && e.startTime >= ${since})
    .map((e) => ({ name: e.name, start: e.startTime, duration: e.duration }))`)) as {
    name: string;
    start: number;
    duration: number;
  }[];
  return entries.map((e) => {
    const url = new URL(e.name);
    const pageNo = url.searchParams.get('page');
    return {
      what: `${url.pathname.replace('/api/v1', '')}${pageNo ? ` p${pageNo}` : ''}`,
      startMs: e.start - since,
      durationMs: e.duration,
    };
  });
}

async function oneRun(
  browser: Browser,
  baseURL: string,
  user: { username: string; password: string },
  pageErrors: string[],
): Promise<BrowserRun> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
    serviceWorkers: 'block',
  });
  try {
    context.setDefaultTimeout(TIMEOUT_MS);
    await context.addInitScript({ content: MARKS_SCRIPT });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    let requests: string[] = [];
    page.on('response', (res) => {
      const url = new URL(res.url());
      requests.push(`${res.request().method()} ${url.pathname} ${res.status()}`);
    });
    const username = page.getByLabel('Username', { exact: true });

    let t0 = performance.now();
    await page.goto('/', { waitUntil: 'commit' });
    await username.waitFor({ state: 'visible' });
    const coldMs = performance.now() - t0;
    const coldInPageMs = (await marks(page)).loginForm ?? Number.NaN;
    const coldRequests = [...requests];

    requests = [];
    t0 = performance.now();
    await page.goto('/', { waitUntil: 'commit' });
    await username.waitFor({ state: 'visible' });
    const warmMs = performance.now() - t0;
    const warmInPageMs = (await marks(page)).loginForm ?? Number.NaN;
    const warmRequests = [...requests];

    await username.fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    const heading = page.getByRole('heading', { name: 'Schedule', level: 1, exact: true });
    const dayList = page.locator('main .schedule-body ol.day, main .schedule-body p.empty');
    t0 = performance.now();
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await heading.waitFor({ state: 'visible' });
    await dayList.first().waitFor({ state: 'visible' });
    const loginMs = performance.now() - t0;
    let m = await marks(page);
    const loginInPageMs = (m.scheduleDay ?? Number.NaN) - (m.loginClick ?? Number.NaN);
    const loginApi = await apiCalls(page, m.loginClick ?? 0);
    const dayItems = await page.locator('main .schedule-body ol.day > li').count();

    const week = page.locator('main .schedule-body table.week');
    t0 = performance.now();
    await page.getByLabel('View', { exact: true }).selectOption('week');
    await week.waitFor({ state: 'visible' });
    const weekMs = performance.now() - t0;
    m = await marks(page);
    const weekInPageMs = (m.weekTable ?? Number.NaN) - (m.viewChange ?? Number.NaN);
    const weekApi = await apiCalls(page, m.viewChange ?? 0);
    const weekItems = await week.locator('li').count();
    return {
      coldMs,
      coldInPageMs,
      warmMs,
      warmInPageMs,
      loginMs,
      loginInPageMs,
      loginApi,
      weekMs,
      weekInPageMs,
      weekApi,
      dayItems,
      weekItems,
      coldRequests,
      warmRequests,
    };
  } finally {
    await context.close();
  }
}

export async function benchBrowser(
  baseURL: string,
  user: { username: string; password: string },
  runs: number,
  scope: string,
): Promise<BrowserResult> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found (apt-get install chromium); see --no-browser`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const version = browser.version();
    log(scope, `chromium ${version}: ${runs} runs`);
    const pageErrors: string[] = [];
    const out: BrowserRun[] = [];
    for (let i = 0; i < runs; i += 1) {
      const r = await oneRun(browser, baseURL, user, pageErrors);
      log(
        scope,
        `run ${i + 1}: cold ${r.coldMs.toFixed(0)} ms, warm ${r.warmMs.toFixed(0)} ms, ` +
          `login ${r.loginMs.toFixed(0)} ms (${r.dayItems} rows), ` +
          `week ${r.weekMs.toFixed(0)} ms (${r.weekItems} rows)`,
      );
      out.push(r);
    }
    return { chromium: version, runs: out, pageErrors };
  } finally {
    await browser.close();
  }
}
