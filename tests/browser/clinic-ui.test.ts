/**
 * The clinic node's web UI in headless Chromium, against real processes: central, and one
 * clinic node (facility A, Africa/Nairobi) reaching it through a TCP proxy the test cuts
 * and heals. A provider logs in (by keyboard), books, sees a conflict before booking and
 * the server's refusal after, registers a patient, reads the schedule and the upcoming
 * list, cancels, and watches the sync indicator go offline and come back.
 *
 * One cluster, one browser and one logged-in desktop session for the whole file; the tests
 * run in order and build on each other (the booking of one is cancelled by a later one).
 * The browser runs in America/Los_Angeles, so times shown in the browser's zone instead of
 * the facility's would be caught. `CLINIC_SCREENSHOTS=1` saves the screenshots to
 * docs/screenshots/.
 */
import { type Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  alertMessage,
  chooseOption,
  dateIn,
  documentCookie,
  focusedElement,
  logInWithForm,
  mainNav,
  navigate,
  openRoute,
  pageText,
  screenshot,
  statusMessage,
  tabTo,
  unlabelledControls,
  waitForAttribute,
  waitForCount,
  waitForText,
  waitForUrl,
  waitForValue,
  zonedTime,
  type BrowserSession,
  expectLabelledAndFits,
  expectLoginScreenFits,
  browserSuite,
} from '../support/browser';
import {
  createCluster,
  loginWhenSynced,
  waitForPatients,
  enrollNode,
  seedRegion,
  waitUntil,
  type CentralServer,
  type ProxiedEdge,
  type Region,
} from '../support/cluster';

const ZONE = 'Africa/Nairobi';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PROVIDER_CONFLICT = 'Provider already has an appointment in this window.';

interface Person {
  id: string;
  first: string;
  last: string;
  mrn: string;
}
const fullName = (p: Person) => `${p.first} ${p.last}`;

const cluster = createCluster();
let central: CentralServer;
let edge: ProxiedEdge;
let region: Region;
/** The provider's bearer token on the node, for checks through the API. */
let token: string;
let provider: { username: string; password: string; first: string; last: string };
/** patients[0] of the region (registered at A), and one more registered at A. */
let wanjiru: Person;
let baraka: Person;
let facilityA: { id: string; name: string };
let tag: string;
/** Tomorrow in Nairobi, `YYYY-MM-DD`. */
const tomorrow = dateIn(ZONE, 1);

const suite = browserSuite(cluster);
const { sessions } = suite;
/** The desktop session: logged in by the first test, reused by the others. */
let desk: BrowserSession;
/** Set by the booking test (and cancelled by a later one). */
let bookedId: string | undefined;
/** Set by the offline test: a scheduled appointment. */
let offlineId: string | undefined;

const newSession = (label: string, viewport: 'desktop' | 'phone' = 'desktop') =>
  suite.newSession(label, edge.url, viewport);

function open(page: Page, route: string): Promise<void> {
  return openRoute(page, edge.url, route, provider);
}

beforeAll(async () => {
  try {
    [, central] = await Promise.all([suite.launch(), cluster.startCentral()]);
    region = await seedRegion(central);
    facilityA = region.facilities[0];
    const admin = await central.adminToken();
    const person = async (id: string): Promise<Person> => {
      const res = await central.api('GET', `/api/v1/patients/${id}/`, undefined, admin);
      expect(res.status).toBe(200);
      const b = res.body as { first_name: string; last_name: string; patient_id: string };
      return { id, first: b.first_name, last: b.last_name, mrn: b.patient_id };
    };
    wanjiru = await person(region.patients[0].id);
    tag = wanjiru.mrn.replace(/^MRN-/, '').replace(/-\d+$/, '');
    const third = await central.api(
      'POST',
      '/api/v1/patients/',
      {
        patient_id: `MRN-${tag}-3`,
        first_name: 'Baraka',
        last_name: wanjiru.last,
        phone_number: '+254700000103',
        email: `patient3.${tag}@example.org`,
        registered_facility: facilityA.id,
        is_active: true,
      },
      admin,
    );
    expect(third.status).toBe(201);
    baraka = await person(third.body.id as string);
    const user = await central.api('GET', `/api/v1/users/${region.provider.id}/`, undefined, admin);
    provider = {
      username: region.provider.username,
      password: region.provider.password,
      first: user.body.first_name as string,
      last: user.body.last_name as string,
    };

    const node = await enrollNode(central, {
      name: `browser clinic ${tag}`,
      facilities: [facilityA.id],
    });
    edge = await cluster.startEdge({ central, token: node.token });
    token = await loginWhenSynced(edge, provider);
    await waitForPatients(edge, token, [wanjiru.id, baraka.id]);
    desk = await newSession('desktop');
  } catch (err) {
    console.log(cluster.logs());
    throw err;
  }
}, 120_000);

/** The appointment page of the booking test; fails clearly when that test did not book. */
function booked(): string {
  if (!bookedId) throw new Error('no appointment: the booking test did not book one');
  return bookedId;
}

interface Booking {
  patient: Person;
  date: string;
  time: string;
  duration?: string;
  reason?: string;
}

/** Fills the Book screen (already open) up to, not including, the "Book appointment" button. */
async function fillBooking(page: Page, b: Booking): Promise<void> {
  await page.getByRole('heading', { name: 'Book an appointment' }).waitFor();
  await chooseOption(page.getByLabel('Facility', { exact: true }), facilityA.name);
  await chooseOption(page.getByLabel('Provider', { exact: true }), provider.last);
  await selectPatient(page, b.patient);
  await chooseOption(page.getByLabel('Type', { exact: true }), 'consultation');
  await page.getByLabel('Reason', { exact: true }).fill(b.reason ?? 'Cough for two weeks');
  await page.getByLabel('Date', { exact: true }).fill(b.date);
  await page.getByLabel('Start time', { exact: true }).fill(b.time);
  await chooseOption(page.getByLabel('Duration', { exact: true }), b.duration ?? '30');
}

async function selectPatient(page: Page, p: Person): Promise<void> {
  await page.getByLabel('Find patient', { exact: true }).fill(p.last);
  const label = `${fullName(p)} (${p.mrn})`;
  await page.getByRole('button', { name: `Select ${label}`, exact: true }).click();
  await page.getByText(`Patient: ${label}`).first().waitFor();
}

/** Books through the Book screen and resolves with the new appointment's id. */
async function bookThroughUi(page: Page, b: Booking): Promise<string> {
  await navigate(page, 'Book');
  await fillBooking(page, b);
  await waitForText(page.locator('#conflict-check'), 'No conflicts');
  await page.getByRole('button', { name: 'Book appointment', exact: true }).click();
  const url = await waitForUrl(page, new RegExp(`#/appointments/${UUID}$`));
  await statusMessage(page, 'Appointment booked').waitFor();
  return url.slice(url.lastIndexOf('/') + 1);
}

const syncIndicator = (page: Page) => page.getByRole('status', { name: 'Sync status' });

describe('the clinic node UI', () => {
  it('serves the app from its own origin, refuses a wrong password, and logs in by keyboard', async () => {
    const { page } = desk;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'login');

    await page.getByLabel('Username', { exact: true }).fill(provider.username);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await alertMessage(page, 'No active account found with the given credentials').waitFor();
    await expect(mainNav(page).count()).resolves.toBe(0);

    // Keyboard only, on a fresh page.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await tabTo(page, page.getByLabel('Username', { exact: true }));
    await page.keyboard.type(provider.username);
    await page.keyboard.press('Tab');
    expect((await focusedElement(page))?.name).toMatch(/^Password/);
    await page.keyboard.type(provider.password);
    await page.keyboard.press('Enter');
    const nav = mainNav(page);
    await nav.waitFor();

    for (const [name, route] of [
      ['Schedule', '#/schedule'],
      ['Book', '#/book'],
      ['Upcoming', '#/upcoming'],
      ['Conflicts', '#/conflicts'],
    ] as const) {
      const href = await nav.getByRole('link', { name, exact: true }).getAttribute('href');
      expect(href, name).toMatch(new RegExp(`${route}$`));
    }
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
    await waitForText(page.getByRole('banner'), provider.last);

    // Following a nav link by keyboard moves the focus to the new screen's heading.
    await tabTo(page, nav.getByRole('link', { name: 'Upcoming', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Upcoming appointments' }).waitFor();
    await waitUntil(
      async () =>
        (await page.evaluate('document.activeElement && document.activeElement.tagName')) === 'H1',
      { timeoutMs: 5_000, message: 'the focus did not move to the new screen heading' },
    );
    await syncIndicator(page).waitFor();

    await desk.settle();
    expect(desk.requests.length).toBeGreaterThan(1);
    expect(desk.foreignRequests(edge.url)).toEqual([]);
    expect(desk.requests.filter((u) => !u.startsWith(`${edge.url}/`))).toEqual([]);
    expect(desk.problems()).toEqual([]);
  });

  it('books an appointment for tomorrow 10:00 in the facility time zone', async () => {
    const { page } = desk;
    await open(page, 'schedule');
    await navigate(page, 'Book');
    await fillBooking(page, { patient: wanjiru, date: tomorrow, time: '10:00' });
    await waitForText(page.locator('#conflict-check'), 'No conflicts');
    await expect(page.locator('#conflict-check').getAttribute('role')).resolves.toBe('status');
    await page.getByRole('button', { name: 'Book appointment', exact: true }).click();

    const url = await waitForUrl(page, new RegExp(`#/appointments/${UUID}$`));
    bookedId = url.slice(url.lastIndexOf('/') + 1);
    await statusMessage(page, 'Appointment booked').waitFor();
    await page.getByRole('heading', { name: fullName(wanjiru) }).waitFor();
    const text = await pageText(page);
    expect(text).toContain('10:00');
    expect(text).toContain(ZONE);
    expect(text).toContain('Scheduled');
    expect(text).toContain(provider.last);
    expect(text).toContain(facilityA.name);
    expect(text).toMatch(/consultation/i);
    expect(text).toContain('Cough for two weeks');
    expect(text).toMatch(/Waiting to sync|Synced/);
    for (const name of ['Reschedule', 'Cancel appointment', 'Mark completed', 'Mark no-show']) {
      await page.getByRole('button', { name, exact: true }).waitFor();
    }
    await screenshot(page, 'appointment');

    const res = await edge.api('GET', `/api/v1/appointments/${bookedId}/`, undefined, token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      patient: wanjiru.id,
      provider: region.provider.id,
      facility: facilityA.id,
      status: 'scheduled',
      appointment_type: 'consultation',
      duration_minutes: 30,
    });
    expect(new Date(res.body.start_time as string).toISOString()).toBe(
      zonedTime(tomorrow, '10:00', ZONE).toISOString(),
    );
  });

  it('shows the conflict before booking, and the server refusal after', async () => {
    booked();
    const { page } = desk;
    await open(page, 'schedule');
    await navigate(page, 'Book');
    await fillBooking(page, { patient: baraka, date: tomorrow, time: '10:00' });
    const check = await waitForText(page.locator('#conflict-check'), /^Conflicts:/);
    expect(check).toMatch(/provider already has an appointment in this window/i);
    await page.locator('#conflict-check').scrollIntoViewIfNeeded();
    await screenshot(page, 'book-conflict');

    await page.getByRole('button', { name: 'Book appointment', exact: true }).click();
    await alertMessage(page, PROVIDER_CONFLICT).waitFor();
    expect(page.url()).toMatch(/#\/book$/);
    const list = await edge.api(
      'GET',
      `/api/v1/appointments/?patient=${baraka.id}`,
      undefined,
      token,
    );
    expect(list.body.count).toBe(0);
  });

  it('registers a new patient from the Book screen and selects them', async () => {
    const { page } = desk;
    await open(page, 'schedule');
    await navigate(page, 'Book');
    await page.getByRole('heading', { name: 'Book an appointment' }).waitFor();
    await chooseOption(page.getByLabel('Facility', { exact: true }), facilityA.name);
    await page.getByRole('button', { name: 'Register new patient', exact: true }).click();
    const newcomer = { first: 'Neema', last: `Registered${tag}`, mrn: `MRN-${tag}-UI` };
    await page.getByLabel('Patient ID (MRN)', { exact: true }).fill(newcomer.mrn);
    await page.getByLabel('First name', { exact: true }).fill(newcomer.first);
    await page.getByLabel('Last name', { exact: true }).fill(newcomer.last);
    await page.getByLabel('Phone', { exact: true }).fill('+254700000199');
    await page.getByLabel('Email', { exact: true }).fill(`neema.${tag}@example.org`);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByRole('button', { name: 'Register patient', exact: true }).click();
    await page
      .getByText(`Patient: ${newcomer.first} ${newcomer.last} (${newcomer.mrn})`)
      .first()
      .waitFor();

    const res = await edge.api(
      'GET',
      `/api/v1/patients/?search=${encodeURIComponent(newcomer.last)}`,
      undefined,
      token,
    );
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      expect.objectContaining({
        patient_id: newcomer.mrn,
        first_name: newcomer.first,
        last_name: newcomer.last,
      }),
    ]);
  });

  it('lists the booking in the day view, the week view and the upcoming list', async () => {
    const id = booked();
    const { page } = desk;
    await open(page, 'book');
    await navigate(page, 'Schedule');
    await page.getByRole('heading', { name: 'Schedule', exact: true }).waitFor();
    const view = page.getByLabel('View', { exact: true });
    await chooseOption(view, 'Day');
    await chooseOption(page.getByLabel('Facility', { exact: true }), facilityA.name);
    const providerSelect = page.getByLabel('Provider', { exact: true });
    const firstProvider = await providerSelect.locator('option').first().textContent();
    expect(firstProvider?.trim()).toBe('All providers');
    await chooseOption(providerSelect, 'All providers');
    const date = page.getByLabel('Date', { exact: true });
    await date.fill(tomorrow);

    const link = page.locator(`a[href$="#/appointments/${id}"]`);
    await link.first().waitFor();
    const itemText = await link
      .first()
      .evaluate(
        new Function(
          'a',
          "var item = a.closest('li, tr, article') || a; return item.innerText;",
        ) as (a: unknown) => string,
      );
    expect(itemText).toContain('10:00');
    expect(itemText).toContain(wanjiru.first);
    await screenshot(page, 'schedule-day');

    // Previous / Next move by a day in the day view; Today is today at the facility.
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await waitForValue(date, dateIn(ZONE, 2), { timeoutMs: 5_000 });
    await waitForCount(link, 0);
    await page.getByRole('button', { name: 'Previous', exact: true }).click();
    await waitForValue(date, tomorrow, { timeoutMs: 5_000 });
    await link.first().waitFor();
    await page.getByRole('button', { name: 'Today', exact: true }).click();
    await waitForValue(date, dateIn(ZONE, 0), {
      timeoutMs: 5_000,
      message: `"Today" should be today in ${ZONE}, not in the browser's zone`,
    });
    await date.fill(tomorrow);

    await chooseOption(view, 'Week');
    const table = page.getByRole('table');
    await table.waitFor();
    const weekday = /\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/;
    const headers = await table.getByRole('columnheader').allInnerTexts();
    expect(
      headers.filter((h) => weekday.test(h)),
      JSON.stringify(headers),
    ).toHaveLength(7);
    await waitForText(table, wanjiru.first);
    await table.locator(`a[href$="#/appointments/${id}"]`).first().waitFor();
    await screenshot(page, 'schedule-week');

    await navigate(page, 'Upcoming');
    await page.getByRole('heading', { name: 'Upcoming appointments' }).waitFor();
    const row = page
      .getByRole('row')
      .filter({ has: page.locator(`a[href$="#/appointments/${id}"]`) });
    const rowText = await waitForText(row, wanjiru.first);
    expect(rowText).toContain('10:00');
    expect(rowText).toContain(provider.last);
    expect(rowText).toContain(facilityA.name);
    expect(rowText).toContain('Scheduled');
    await screenshot(page, 'upcoming');
  });

  it('cancels the appointment from its page, after a confirmation', async () => {
    const id = booked();
    const { page } = desk;
    await open(page, `appointments/${id}`);
    await page.getByRole('heading', { name: fullName(wanjiru) }).waitFor();

    await page.getByRole('button', { name: 'Cancel appointment', exact: true }).click();
    await page.getByRole('button', { name: 'Keep it', exact: true }).click();
    await waitForCount(page.getByRole('button', { name: 'Yes, cancel it', exact: true }), 0);
    expect(await pageText(page)).toContain('Scheduled');

    await page.getByRole('button', { name: 'Cancel appointment', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, cancel it', exact: true }).click();
    await statusMessage(page, 'Appointment cancelled').waitFor();
    await page.getByText('Cancelled', { exact: true }).first().waitFor();
    for (const name of ['Reschedule', 'Cancel appointment', 'Mark completed', 'Mark no-show']) {
      await waitForCount(page.getByRole('button', { name, exact: true }), 0);
    }

    const res = await edge.api('GET', `/api/v1/appointments/${id}/`, undefined, token);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
  });

  it('shows the node going offline when central is cut off, and back online after', async () => {
    const { page } = desk;
    await open(page, 'schedule');
    const indicator = syncIndicator(page);
    await waitForAttribute(indicator, 'data-state', 'online', { timeoutMs: 30_000 });
    const online = await waitForText(indicator, 'Online');
    expect(online).toMatch(/\b\d+ pending/);
    expect(online).toMatch(/Last sync/);
    expect(online).toMatch(/\b\d+ rejected/);
    const conflictsLink = indicator.getByRole('link', { name: /open conflict/ });
    expect(await conflictsLink.getAttribute('href')).toMatch(/#\/conflicts$/);

    try {
      edge.proxy.cut();
      await page.getByRole('button', { name: 'Sync now', exact: true }).click();
      await waitForAttribute(indicator, 'data-state', 'offline', { timeoutMs: 40_000 });
      await waitForText(indicator, 'Offline');
      await screenshot(page, 'edge-offline');

      offlineId = await bookThroughUi(page, { patient: wanjiru, date: tomorrow, time: '14:00' });
      await waitForText(page.locator('body'), 'Waiting to sync');
      await waitForText(indicator, /\b[1-9]\d* pending/, { timeoutMs: 10_000 });
      expect(await indicator.getAttribute('data-state')).toBe('offline');
    } finally {
      edge.proxy.heal();
    }

    await page.getByRole('button', { name: 'Sync now', exact: true }).click();
    await waitForAttribute(indicator, 'data-state', 'online', { timeoutMs: 40_000 });
    await waitForText(indicator, /\b0 pending/, { timeoutMs: 40_000 });
    await waitForText(indicator, 'Online');

    // The booking made offline reached central, and its page says so.
    await page.reload();
    await waitForText(page.locator('body'), 'Synced', { timeoutMs: 20_000 });
    expect(await pageText(page)).not.toContain('Waiting to sync');
    const admin = await central.adminToken();
    const onCentral = await central.api(
      'GET',
      `/api/v1/appointments/${offlineId}/`,
      undefined,
      admin,
    );
    expect(onCentral.status).toBe(200);
    expect(onCentral.body.status).toBe('scheduled');
    // Clicking "Sync now" while cut off rightly got a 503.
    expect(desk.problems({ allow: [/sync\/run/] })).toEqual([]);
  }, 150_000);

  it('keeps the session in HttpOnly, SameSite=Strict cookies the page cannot read', async () => {
    const { page, context } = desk;
    await open(page, 'schedule');
    // Every cookie of the context, whatever its path (the access token's is /api).
    const cookies = await context.cookies();
    const session = cookies.filter((c) => /^clinic_[0-9a-f]+_/.test(c.name));
    const names = session.map((c) => c.name).join(',');
    expect(names).toMatch(/_access\b/);
    expect(names).toMatch(/_refresh\b/);
    for (const c of session) {
      expect(c, c.name).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    }
    const visible = await documentCookie(page);
    for (const c of session) {
      expect(visible).not.toContain(c.name);
      expect(visible).not.toContain(c.value);
    }
  });

  it('labels every control and fits 1366x768 and 390x844 without scrolling sideways', async () => {
    const phone = await newSession('phone', 'phone');
    const fresh = await newSession('logged out desktop');
    await expectLoginScreenFits(fresh.page, phone.page);
    await logInWithForm(phone.page, provider.username, provider.password);

    const screens: [route: string, heading: string][] = [
      ['schedule', 'Schedule'],
      ['book', 'Book an appointment'],
      ['upcoming', 'Upcoming appointments'],
      ['conflicts', 'Conflicts'],
    ];
    for (const [label, { page }] of [
      ['1366x768', desk],
      ['390x844', phone],
    ] as const) {
      for (const [route, heading] of screens) {
        await open(page, route);
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        const where = `${route} at ${label}`;
        await expectLabelledAndFits(page, where);
      }
      // The Book screen with its optional parts open.
      await open(page, 'book');
      await page.getByRole('button', { name: 'Register new patient', exact: true }).click();
      await page.getByLabel('Patient ID (MRN)', { exact: true }).waitFor();
      await page.getByLabel('Find patient', { exact: true }).fill(wanjiru.last);
      await page.getByRole('button', { name: new RegExp(`^Select ${wanjiru.first}`) }).waitFor();
      await expectLabelledAndFits(page, `book (open) at ${label}`);
      // An appointment page (a scheduled one: with the reschedule form open), week view.
      await open(page, `appointments/${offlineId ?? booked()}`);
      await page.getByRole('heading', { name: fullName(wanjiru) }).waitFor();
      if (offlineId) {
        await page.getByRole('button', { name: 'Reschedule', exact: true }).click();
        await page.getByLabel('New date', { exact: true }).waitFor();
      }
      await expectLabelledAndFits(page, `appointment at ${label}`);
      await open(page, 'schedule');
      await chooseOption(page.getByLabel('View', { exact: true }), 'Week');
      await page.getByRole('table').waitFor();
      await expectLabelledAndFits(page, `week at ${label}`);
    }

    await open(phone.page, 'schedule');
    await phone.page.getByRole('heading', { name: 'Schedule', exact: true }).waitFor();
    await chooseOption(phone.page.getByLabel('View', { exact: true }), 'Day');
    await chooseOption(phone.page.getByLabel('Facility', { exact: true }), facilityA.name);
    await phone.page.getByLabel('Date', { exact: true }).fill(tomorrow);
    await phone.page.locator('a[href*="#/appointments/"]').first().waitFor();
    await screenshot(phone.page, 'phone-schedule');
  }, 90_000);

  it('reschedules an appointment with a live conflict check', async () => {
    const { page } = desk;
    const day = dateIn(ZONE, 3);
    const book = async (patient: Person, time: string, minutes = 30) => {
      const start = zonedTime(day, time, ZONE).getTime();
      const res = await edge.api(
        'POST',
        '/api/v1/appointments/',
        {
          patient: patient.id,
          provider: region.provider.id,
          facility: facilityA.id,
          appointment_type: 'follow_up',
          reason: 'Blood pressure review',
          start_time: new Date(start).toISOString(),
          end_time: new Date(start + minutes * 60_000).toISOString(),
        },
        token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    await book(wanjiru, '09:00');
    const id = await book(baraka, '11:00');

    await open(page, `appointments/${id}`);
    await page.getByRole('heading', { name: fullName(baraka) }).waitFor();
    await waitForText(page.locator('body'), '11:00');
    await page.getByRole('button', { name: 'Reschedule', exact: true }).click();
    await page.getByLabel('New date', { exact: true }).fill(day);
    await page.getByLabel('New start time', { exact: true }).fill('09:10');
    await chooseOption(page.getByLabel('New duration', { exact: true }), '45');
    const clash = await waitForText(page.locator('#conflict-check'), /^Conflicts:/);
    expect(clash).toMatch(/provider already has an appointment in this window/i);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('New start time', { exact: true }).fill('16:00');
    await waitForText(page.locator('#conflict-check'), 'No conflicts');
    await page.getByRole('button', { name: 'Save new time', exact: true }).click();
    await waitForText(page.locator('body'), '16:00');

    await waitUntil(
      async () => {
        const res = await edge.api('GET', `/api/v1/appointments/${id}/`, undefined, token);
        return (
          res.body.duration_minutes === 45 &&
          new Date(res.body.start_time as string).getTime() ===
            zonedTime(day, '16:00', ZONE).getTime()
        );
      },
      { timeoutMs: 10_000, message: 'the new time never reached the node' },
    );

    // A length the list does not offer (40 minutes) is kept when only the time moves.
    const odd = await book(wanjiru, '13:00', 40);
    await open(page, `appointments/${odd}`);
    await page.getByRole('heading', { name: fullName(wanjiru) }).waitFor();
    await page.getByRole('button', { name: 'Reschedule', exact: true }).click();
    const duration = page.getByLabel('New duration', { exact: true });
    await waitForValue(duration, '40');
    await page.getByLabel('New start time', { exact: true }).fill('17:00');
    await waitForText(page.locator('#conflict-check'), 'No conflicts');
    await page.getByRole('button', { name: 'Save new time', exact: true }).click();
    await statusMessage(page, 'Appointment rescheduled').waitFor();
    const moved = await edge.api('GET', `/api/v1/appointments/${odd}/`, undefined, token);
    expect(moved.body.duration_minutes).toBe(40);
    expect(Date.parse(moved.body.start_time as string)).toBe(
      zonedTime(day, '17:00', ZONE).getTime(),
    );
  });

  it('talked to no other host and raised no errors in any session', async () => {
    for (const { label, session } of sessions) {
      await session.settle();
      expect(session.foreignRequests(edge.url), label).toEqual([]);
      expect(session.problems({ allow: [/sync\/run/] }), label).toEqual([]);
    }
  });
});
