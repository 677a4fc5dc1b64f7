/**
 * Headless Chromium for the web UI tests: Debian's `/usr/bin/chromium` driven by
 * playwright-core (no browser is ever downloaded).
 *
 * - `launchBrowser()` starts it (one per test file; close it in `afterAll`).
 * - `openSession(browser, options)` opens a context and a page with a desktop (1366x768) or
 *   phone (390x844) viewport, in a browser time zone far from the clinics' (so a page that
 *   shows times in the browser's zone instead of the facility's is caught). It records every
 *   request URL, console error, uncaught page error and failed request.
 * - Checks: `unlabelledControls(page)` (controls without an accessible name),
 *   `horizontalOverflow(page)` (> 0 when the page scrolls sideways), `tabTo(page, target)`
 *   (keyboard reachability), `screenshot(page, name)` (`docs/screenshots/<name>.png` when
 *   `CLINIC_SCREENSHOTS=1`, else a temporary directory).
 * - Waits that poll until the page agrees: `waitForText`, `waitForAttribute`, `waitForUrl`,
 *   `chooseOption` (waits for the option to exist), `waitForCount`.
 *
 * The tsconfig has no DOM library, and code passed to the page must survive being turned
 * into a string, so in-page code here is plain JavaScript source turned into functions with
 * `new Function` (never a TypeScript closure, which a transpiler may decorate with helpers
 * the page does not have).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, expect } from 'vitest';
import type { Cluster } from './cluster';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
} from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const DESKTOP = { width: 1366, height: 768 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** The browser's own zone in every session: far from East Africa (UTC+3) on purpose. */
export const BROWSER_TIME_ZONE = 'America/Los_Angeles';

/** Default timeout of Playwright actions and of the waits below. */
export const ACTION_TIMEOUT_MS = 15_000;

const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const TEMP_SCREENSHOT_DIR = join(tmpdir(), 'clinic-browser-screenshots');

/** Starts Debian's Chromium, headless. Throws (never skips) when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Debian's chromium is needed for the browser tests: apt-get install chromium (${CHROMIUM_PATH} not found)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface SessionOptions {
  /** `'desktop'` (1366x768, the default), `'phone'` (390x844, mobile, touch) or a size. */
  viewport?: 'desktop' | 'phone' | { width: number; height: number };
  /** Resolves relative `page.goto` URLs, e.g. the node's URL. */
  baseURL?: string;
  /** Cookies (and storage) of another session, to reuse its login: `other.context.storageState()`. */
  storageState?: BrowserContextOptions['storageState'];
  /** The browser's time zone; default {@link BROWSER_TIME_ZONE}. */
  timezoneId?: string;
  /** Default `en-US`. */
  locale?: string;
}

/** A context with one page, and what the page did. */
export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request URL, in order (pages, scripts, fetches, images...). */
  readonly requests: string[];
  /** Console messages of type `error`, as `text (url:line)`. */
  readonly consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  readonly pageErrors: string[];
  /** Requests that failed at the network level (`METHOD url: reason`), and answers >= 500. */
  readonly failedRequests: string[];
  /**
   * Requests to anything but `origin` (e.g. `http://127.0.0.1:4000`). `data:`, `blob:` and
   * `about:` URLs are not requests to a host and are not reported.
   */
  foreignRequests(origin: string): string[];
  /**
   * What a healthy page never does: uncaught errors, console errors (except Chromium's own
   * "Failed to load resource" line for an HTTP 4xx answer, which a refused login or booking
   * rightly gets), network failures (except aborted requests) and answers >= 500. Lines
   * matching one of `allow` (e.g. `/sync\/run/` for a 503 the test caused) are left out.
   */
  problems(options?: { allow?: RegExp[] }): string[];
  /** Waits (at most `maxMs`) until no request has been in flight for `quietMs`. */
  settle(quietMs?: number, maxMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface Traffic {
  inflight: number;
  lastChange: number;
}

/** In-flight request counts per page, so `screenshot(page)` can let the page settle. */
const trafficOf = new WeakMap<Page, Traffic>();

function viewportOf(option: SessionOptions['viewport']) {
  if (option === 'phone') {
    return { viewport: { ...PHONE }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  }
  if (option === undefined || option === 'desktop') return { viewport: { ...DESKTOP } };
  return { viewport: { ...option } };
}

function isLocalScheme(url: string): boolean {
  return /^(data|blob|about):/i.test(url);
}

/** Opens a context and a page that record what they do. */
export async function openSession(
  browser: Browser,
  options: SessionOptions = {},
): Promise<BrowserSession> {
  const context = await browser.newContext({
    ...viewportOf(options.viewport),
    ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
    ...(options.storageState !== undefined && { storageState: options.storageState }),
    timezoneId: options.timezoneId ?? BROWSER_TIME_ZONE,
    locale: options.locale ?? 'en-US',
    serviceWorkers: 'block',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(30_000);

  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  const networkNoise: string[] = [];
  const traffic: Traffic = { inflight: 0, lastChange: Date.now() };
  const moved = (delta: number) => {
    traffic.inflight = Math.max(0, traffic.inflight + delta);
    traffic.lastChange = Date.now();
  };

  context.on('request', (req) => {
    requests.push(req.url());
    moved(+1);
  });
  context.on('requestfinished', (req) => {
    moved(-1);
    req
      .response()
      .then((res) => {
        if (res && res.status() >= 500) {
          failedRequests.push(`${req.method()} ${req.url()}: HTTP ${res.status()}`);
        }
      })
      .catch(() => {});
  });
  context.on('requestfailed', (req) => {
    moved(-1);
    const reason = req.failure()?.errorText ?? 'failed';
    const line = `${req.method()} ${req.url()}: ${reason}`;
    (/ERR_ABORTED/.test(reason) ? networkNoise : failedRequests).push(line);
  });
  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    consoleErrors.push(loc.url ? `${msg.text()} (${loc.url}:${loc.lineNumber})` : msg.text());
  });
  context.on('weberror', (err) => {
    const e = err.error();
    pageErrors.push(e.stack ?? `${e.name}: ${e.message}`);
  });

  const page = await context.newPage();
  trafficOf.set(page, traffic);

  const settle = async (quietMs = 300, maxMs = 3_000) => {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline) {
      if (traffic.inflight === 0 && Date.now() - traffic.lastChange >= quietMs) return;
      await sleep(50);
    }
  };

  return {
    context,
    page,
    requests,
    consoleErrors,
    pageErrors,
    failedRequests,
    foreignRequests(origin) {
      const base = origin.replace(/\/+$/, '');
      return requests.filter(
        (url) => !isLocalScheme(url) && url !== base && !url.startsWith(`${base}/`),
      );
    },
    problems({ allow = [] } = {}) {
      const clientError = /Failed to load resource: the server responded with a status of 4\d\d/;
      const allowed = (line: string) => allow.some((re) => re.test(line));
      const lines = [
        ...pageErrors.map((e) => `page error: ${e}`),
        ...consoleErrors.filter((e) => !clientError.test(e)).map((e) => `console error: ${e}`),
        ...failedRequests.map((e) => `request: ${e}`),
      ];
      return lines.filter((line) => !allowed(line));
    },
    settle,
    close: () => context.close(),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// In-page code (plain JavaScript source).

/** `accessibleName(el)`: a simplified accessible-name computation, and `isVisible(el)`. */
const IN_PAGE_HELPERS = String.raw`
  function squash(s) { return String(s == null ? '' : s).replace(/\s+/g, ' ').trim(); }
  function textOfIds(ids) {
    return squash(ids.split(/\s+/).filter(Boolean)
      .map(function (id) { var n = document.getElementById(id); return n ? n.textContent : ''; })
      .join(' '));
  }
  function accessibleName(el) {
    var labelledby = el.getAttribute('aria-labelledby');
    if (labelledby) { var byIds = textOfIds(labelledby); if (byIds) return byIds; }
    var aria = squash(el.getAttribute('aria-label'));
    if (aria) return aria;
    if (el.labels && el.labels.length) {
      var labels = squash(Array.prototype.map.call(el.labels, function (l) { return l.textContent; }).join(' '));
      if (labels) return labels;
    }
    var tag = el.tagName.toLowerCase();
    var type = String(el.getAttribute('type') || '').toLowerCase();
    if (tag === 'input' && (type === 'submit' || type === 'reset' || type === 'button')) {
      var value = squash(el.value);
      if (value) return value;
      if (type === 'submit') return 'Submit';
      if (type === 'reset') return 'Reset';
    }
    if (tag === 'input' && type === 'image') { var alt = squash(el.getAttribute('alt')); if (alt) return alt; }
    if (tag === 'button' || tag === 'a') {
      var text = squash(el.innerText || el.textContent);
      if (text) return text;
      var inner = squash(Array.prototype.map.call(el.querySelectorAll('img[alt], [aria-label]'), function (n) {
        return n.getAttribute('alt') || n.getAttribute('aria-label');
      }).join(' '));
      if (inner) return inner;
    }
    return squash(el.getAttribute('title'));
  }
  function isVisible(el) {
    if (el.getClientRects().length === 0) return false;
    if (typeof el.checkVisibility === 'function') {
      return el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true });
    }
    var style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none';
  }
  function describe(el) {
    var tag = el.tagName.toLowerCase();
    var attrs = ['type', 'id', 'name', 'href', 'class', 'placeholder'].map(function (a) {
      var v = el.getAttribute(a);
      return v == null ? '' : ' ' + a + '="' + v + '"';
    }).join('');
    var html = el.outerHTML.replace(/\s+/g, ' ');
    return '<' + tag + attrs + '> ' + (html.length > 160 ? html.slice(0, 160) + '...' : html);
  }
`;

const CONTROLS = 'input:not([type="hidden"]), select, textarea, button, a[href]';

/** A function for `page.evaluate`/`locator.evaluate` from JavaScript source (see the module comment). */
function inPage(...paramsAndBody: string[]): unknown {
  return new Function(...paramsAndBody);
}

const unlabelledInPage = inPage(
  'selector',
  `${IN_PAGE_HELPERS}
  return Array.prototype.filter.call(document.querySelectorAll(selector), function (el) {
    return isVisible(el) && accessibleName(el) === '';
  }).map(describe);`,
) as (selector: string) => string[];

const activeElementInPage = inPage(
  `${IN_PAGE_HELPERS}
  var el = document.activeElement;
  if (!el || el === document.body) return null;
  return { name: accessibleName(el), description: describe(el) };`,
) as () => { name: string; description: string } | null;

const isFocusedInPage = inPage('el', 'return el === document.activeElement;') as (
  el: unknown,
) => boolean;

const overflowInPage = inPage(
  'return document.documentElement.scrollWidth - document.documentElement.clientWidth;',
) as () => number;

const layoutWidthInPage = inPage('return document.documentElement.clientWidth;') as () => number;

const paintedInPage = inPage(`
  return (document.fonts ? document.fonts.ready : Promise.resolve()).then(function () {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () { requestAnimationFrame(function () { resolve(true); }); });
    });
  });`) as () => Promise<boolean>;

const blurInPage = inPage(`
  var el = document.activeElement;
  if (el && el !== document.body && typeof el.blur === 'function') el.blur();
  var sel = window.getSelection && window.getSelection();
  if (sel) sel.removeAllRanges();`) as () => void;

const documentCookieInPage = inPage('return document.cookie;') as () => string;

// ---------------------------------------------------------------------------------------
// Checks.

/**
 * Every visible `input, select, textarea, button, a[href]` without an accessible name (no
 * `<label>` (`el.labels`), no `aria-label`, no text behind `aria-labelledby`, no text for a
 * button or link, no `title`), described as `<tag attrs> outerHTML`. Assert it is `[]`.
 */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(unlabelledInPage, CONTROLS);
}

/** Pixels the page scrolls sideways (`scrollWidth - clientWidth`); assert `<= 0`. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(overflowInPage);
}

/** `document.documentElement.clientWidth`: the layout width (390 on a phone with a viewport meta). */
export function layoutWidth(page: Page): Promise<number> {
  return page.evaluate(layoutWidthInPage);
}

/** What the page's scripts can read of its cookies. */
export function documentCookie(page: Page): Promise<string> {
  return page.evaluate(documentCookieInPage);
}

/** The focused element's accessible name and description, or null (nothing, or the body). */
export function focusedElement(page: Page): Promise<{ name: string; description: string } | null> {
  return page.evaluate(activeElementInPage);
}

/**
 * Presses Tab (at most `maxPresses` times) until `target` has the focus: a locator, or an
 * accessible name (a string matches exactly, after squashing spaces; or a RegExp). Returns
 * the number of presses (0 when it already had the focus). Throws, listing what received
 * the focus, when it is never reached.
 */
export async function tabTo(
  page: Page,
  target: Locator | string | RegExp,
  maxPresses = 60,
): Promise<number> {
  const reached = async (): Promise<boolean> => {
    if (typeof target === 'string' || target instanceof RegExp) {
      const active = await focusedElement(page);
      if (!active) return false;
      return typeof target === 'string' ? active.name === target : target.test(active.name);
    }
    if ((await target.count()) !== 1) return false;
    return target.evaluate(isFocusedInPage);
  };
  const visited: string[] = [];
  for (let presses = 0; presses <= maxPresses; presses += 1) {
    if (await reached()) return presses;
    if (presses === maxPresses) break;
    await page.keyboard.press('Tab');
    const active = await focusedElement(page);
    visited.push(active ? `"${active.name}" ${active.description.slice(0, 80)}` : '(body)');
  }
  const what = typeof target === 'string' || target instanceof RegExp ? String(target) : target;
  throw new Error(
    `Tab never reached ${String(what)} in ${maxPresses} presses; the focus went to:\n  ${visited.join('\n  ')}`,
  );
}

/**
 * Saves a PNG of the viewport once the page has settled: `docs/screenshots/<name>.png` when
 * `CLINIC_SCREENSHOTS=1`, else a temporary directory (or `options.dir`). The focused element
 * is blurred first (no focus ring in the picture) unless `keepFocus`. Resolves with the
 * file's path.
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { dir?: string; keepFocus?: boolean } = {},
): Promise<string> {
  const dir =
    options.dir ?? (process.env.CLINIC_SCREENSHOTS === '1' ? SCREENSHOT_DIR : TEMP_SCREENSHOT_DIR);
  await mkdir(dir, { recursive: true });
  const traffic = trafficOf.get(page);
  if (traffic) {
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && (traffic.inflight > 0 || Date.now() - traffic.lastChange < 300))
      await sleep(50);
  }
  // No focus ring or selected text in the picture, unless asked for.
  if (!options.keepFocus) await page.evaluate(blurInPage);
  await page.evaluate(paintedInPage);
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false, animations: 'disabled', caret: 'hide' });
  return path;
}

// ---------------------------------------------------------------------------------------
// Waits.

export interface PollOptions {
  /** Default {@link ACTION_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Said first in the error. */
  message?: string;
}

/** Polls `read` until `accept` holds for its value; rejects with the last value or error. */
async function poll<T>(
  read: (remainingMs: number) => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  options: PollOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? ACTION_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let lastValue: string | undefined;
  let lastError: string | undefined;
  for (;;) {
    const remaining = deadline - Date.now();
    try {
      const value = await read(Math.max(250, Math.min(remaining, 2_000)));
      if (accept(value)) return value;
      lastValue = JSON.stringify(value);
      lastError = undefined;
    } catch (err) {
      lastError = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(150, Math.max(0, deadline - Date.now())));
  }
  const seen = [
    lastValue === undefined ? 'nothing read' : `last seen: ${lastValue}`,
    ...(lastError === undefined ? [] : [`then: ${lastError}`]),
  ].join('; ');
  const prefix = options.message ? `${options.message}: ` : '';
  throw new Error(`${prefix}${what} (waited ${timeoutMs} ms; ${seen})`);
}

function matches(text: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
}

/**
 * Waits until the (single) element of `locator` is visible and its text (`innerText`, spaces
 * squashed) contains `pattern` (a string) or matches it (a RegExp). Resolves with the text.
 */
export function waitForText(
  locator: Locator,
  pattern: string | RegExp,
  options: PollOptions = {},
): Promise<string> {
  return poll(
    async (ms) => (await locator.innerText({ timeout: ms })).replace(/\s+/g, ' ').trim(),
    (text) => matches(text, pattern),
    `${String(locator)} never showed text ${String(pattern)}`,
    options,
  );
}

/** Waits until the element's attribute `name` equals (string) or matches (RegExp) `pattern`. */
export function waitForAttribute(
  locator: Locator,
  name: string,
  pattern: string | RegExp,
  options: PollOptions = {},
): Promise<string | null> {
  return poll(
    (ms) => locator.getAttribute(name, { timeout: ms }),
    (value) =>
      value !== null && (typeof pattern === 'string' ? value === pattern : pattern.test(value)),
    `${String(locator)} never had ${name} ${String(pattern)}`,
    options,
  );
}

/** Waits until an input's or select's current value equals (string) or matches (RegExp) `pattern`. */
export function waitForValue(
  locator: Locator,
  pattern: string | RegExp,
  options: PollOptions = {},
): Promise<string> {
  return poll(
    (ms) => locator.inputValue({ timeout: ms }),
    (value) => (typeof pattern === 'string' ? value === pattern : pattern.test(value)),
    `${String(locator)} never had the value ${String(pattern)}`,
    options,
  );
}

/** Waits until `locator` matches exactly `count` elements (e.g. 0 once an item has gone). */
export function waitForCount(
  locator: Locator,
  count: number,
  options: PollOptions = {},
): Promise<number> {
  return poll(
    () => locator.count(),
    (n) => n === count,
    `${String(locator)} never matched ${count} element(s)`,
    options,
  );
}

/** Waits until the page's URL matches `pattern` (hash routes included); resolves with it. */
export function waitForUrl(
  page: Page,
  pattern: RegExp,
  options: PollOptions = {},
): Promise<string> {
  return poll(
    () => Promise.resolve(page.url()),
    (url) => pattern.test(url),
    `the URL never matched ${String(pattern)}`,
    options,
  );
}

/**
 * Selects the option of a `<select>` whose value equals `wanted`, or whose label equals it,
 * or whose label contains it (a string), or matches it (a RegExp), in that order of
 * preference. Waits for such an option to appear (lists filled after a fetch). Resolves with
 * the selected value.
 */
export async function chooseOption(
  select: Locator,
  wanted: string | RegExp,
  options: PollOptions = {},
): Promise<string> {
  const pick = (opts: { value: string; label: string }[]): string | undefined => {
    if (wanted instanceof RegExp) return opts.find((o) => wanted.test(o.label))?.value;
    return (
      opts.find((o) => o.value === wanted) ??
      opts.find((o) => o.label === wanted) ??
      opts.find((o) => o.label.includes(wanted))
    )?.value;
  };
  const optionsOf = inPage(
    'select',
    `return Array.prototype.map.call(select.options, function (o) {
       return { value: o.value, label: (o.label || o.textContent || '').replace(/\\s+/g, ' ').trim() };
     });`,
  ) as (select: unknown) => { value: string; label: string }[];
  const found = await poll(
    async (ms) => {
      await select.waitFor({ state: 'visible', timeout: ms });
      return select.evaluate(optionsOf);
    },
    (opts) => pick(opts) !== undefined,
    `${String(select)} never had an option ${String(wanted)}`,
    options,
  );
  const value = pick(found)!;
  await select.selectOption({ value });
  return value;
}

/** The label of the selected option of a `<select>`. */
export function selectedLabel(select: Locator): Promise<string> {
  const label = inPage(
    'select',
    `var o = select.selectedOptions[0]; return o ? (o.label || o.textContent || '').trim() : '';`,
  ) as (select: unknown) => string;
  return select.evaluate(label);
}

// ---------------------------------------------------------------------------------------
// Dates in a facility's time zone.
// Written independently of packages/web/src/client/time.ts on purpose: the tests check the
// page's times against their own arithmetic, so a bug there cannot hide behind shared code.

function partsIn(timeZone: string, at: Date): Record<string, number> {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const out: Record<string, number> = {};
  for (const p of fmt.formatToParts(at)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** `YYYY-MM-DD` of today + `days` in `timeZone` (what a type=date input there holds). */
export function dateIn(timeZone: string, days = 0, now: Date = new Date()): string {
  const p = partsIn(timeZone, now);
  const d = new Date(Date.UTC(p.year!, p.month! - 1, p.day! + days));
  return d.toISOString().slice(0, 10);
}

/** The instant of wall-clock `date` (`YYYY-MM-DD`) `time` (`HH:MM`) in `timeZone`. */
export function zonedTime(date: string, time: string, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wanted = Date.UTC(y, mo - 1, d, h, mi);
  let guess = wanted;
  for (let i = 0; i < 3; i += 1) {
    const p = partsIn(timeZone, new Date(guess));
    const shown = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
    guess += wanted - shown;
  }
  return new Date(guess);
}

// ---------------------------------------------------------------------------------------
// The clinic web UI (both nodes serve it at `/`): steps every UI test repeats.

/** The header's main navigation. */
export function mainNav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Main' });
}

/**
 * Logs in through the form (the page must show, or be about to show, "Sign in") and waits
 * for the main navigation.
 */
export async function logInWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await mainNav(page).waitFor();
}

/**
 * Opens `<baseUrl>/#/<route>`, logging in first if the page asks for it, and waits for the
 * main navigation.
 */
export async function openRoute(
  page: Page,
  baseUrl: string,
  route: string,
  credentials: { username: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl.replace(/\/+$/, '')}/#/${route.replace(/^[#/]+/, '')}`);
  const signIn = page.getByRole('heading', { name: 'Sign in' });
  await mainNav(page).or(signIn).first().waitFor();
  if (await signIn.isVisible()) {
    await logInWithForm(page, credentials.username, credentials.password);
    // The app may land on its home screen after the login: go where we were asked to.
    await page.goto(`${baseUrl.replace(/\/+$/, '')}/#/${route.replace(/^[#/]+/, '')}`);
    await mainNav(page).waitFor();
  }
}

/** Clicks a link of the main navigation and waits for the URL's hash route to follow. */
export async function navigate(page: Page, linkName: string): Promise<void> {
  const link = mainNav(page).getByRole('link', { name: linkName, exact: true });
  const href = (await link.getAttribute('href')) ?? '';
  await link.click();
  const hash = href.slice(href.indexOf('#'));
  if (hash.startsWith('#')) {
    const escaped = hash.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await waitForUrl(page, new RegExp(`${escaped}$`));
  }
}

/** The `role="status"` / `role="alert"` element showing `text` (other live regions ignored). */
export function statusMessage(page: Page | Locator, text: string | RegExp): Locator {
  return page.getByRole('status').filter({ hasText: text }).first();
}
export function alertMessage(page: Page | Locator, text: string | RegExp): Locator {
  return page.getByRole('alert').filter({ hasText: text }).first();
}

/** The visible text of the page (spaces squashed). */
export async function pageText(page: Page): Promise<string> {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * What a failing test should print about a session: its URL, problems, recent requests and
 * the start of the page's text, and a screenshot saved to the temporary directory.
 */
export async function diagnose(session: BrowserSession, label: string): Promise<string> {
  const { page } = session;
  const lines = [`----- browser session ${label} -----`, `url: ${page.url()}`];
  lines.push(`problems: ${JSON.stringify(session.problems(), null, 2)}`);
  lines.push(`console errors: ${JSON.stringify(session.consoleErrors.slice(-10), null, 2)}`);
  lines.push(`last requests:\n  ${session.requests.slice(-15).join('\n  ')}`);
  try {
    const text = await page.locator('body').innerText({ timeout: 2_000 });
    lines.push(`page text:\n${text.slice(0, 3_000)}`);
    const safe = label.replace(/[^a-z0-9-]+/gi, '-');
    const shot = join(TEMP_SCREENSHOT_DIR, `failure-${safe}-${Date.now()}.png`);
    await mkdir(TEMP_SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: shot, timeout: 5_000 });
    lines.push(`screenshot: ${shot}`);
  } catch (err) {
    lines.push(
      `(page unreadable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
    );
  }
  return lines.join('\n');
}

/** Every control of `page` has an accessible name, and nothing scrolls sideways. */
export async function expectLabelledAndFits(page: Page, where: string): Promise<void> {
  expect(await unlabelledControls(page), where).toEqual([]);
  expect(await horizontalOverflow(page), where).toBeLessThanOrEqual(0);
}

/**
 * The login screen of two logged-out sessions (a desktop and a phone) passes
 * `expectLabelledAndFits`, and the phone lays the page out 390 px wide.
 */
export async function expectLoginScreenFits(desktop: Page, phone: Page): Promise<void> {
  for (const page of [desktop, phone]) {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectLabelledAndFits(page, 'login');
  }
  expect(
    await layoutWidth(phone),
    'a phone lays the page out 390 px wide (needs <meta name="viewport" content="width=device-width">)',
  ).toBe(PHONE.width);
}

/** The browser and sessions of one test file (see {@link browserSuite}). */
export interface BrowserSuite {
  /** Every session opened so far, with its label (for the "no other host" checks). */
  readonly sessions: { label: string; session: BrowserSession }[];
  /** Starts Chromium; call once, in `beforeAll`. */
  launch(): Promise<Browser>;
  /** A new session on `baseURL`, closed and diagnosed by the suite. */
  newSession(
    label: string,
    baseURL: string,
    viewport?: 'desktop' | 'phone',
  ): Promise<BrowserSession>;
}

/**
 * Registers the hooks every browser test file needs: when a test fails, each session's
 * state (`diagnose`) and the cluster's logs are printed; at the end the sessions, the
 * browser and the cluster are closed.
 */
export function browserSuite(cluster: Cluster): BrowserSuite {
  const sessions: { label: string; session: BrowserSession }[] = [];
  let browser: Browser | undefined;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      for (const { label, session } of sessions) console.log(await diagnose(session, label));
      console.log(cluster.logs());
    }, 30_000);
  });
  afterAll(async () => {
    for (const { session } of sessions) await session.close().catch(() => {});
    await browser?.close();
    await cluster.stopAll();
  });
  return {
    sessions,
    async launch() {
      browser = await launchBrowser();
      return browser;
    },
    async newSession(label, baseURL, viewport = 'desktop') {
      if (!browser) throw new Error('browserSuite: launch() first');
      const session = await openSession(browser, { viewport, baseURL });
      sessions.push({ label, session });
      return session;
    },
  };
}
