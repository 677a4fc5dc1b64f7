/**
 * Central's web UI in headless Chromium, against real processes: central and two clinic
 * nodes, one per facility (A in Africa/Nairobi, B in Africa/Kampala), each behind a TCP
 * proxy. Both nodes are cut off; the provider, who works at both facilities, is booked at
 * the same time on each (twice: two pairs); the links heal and central records two late
 * provider conflicts. An admin then works the conflicts queue (one resolved with a note,
 * one by cancelling an appointment), reads the Nodes screen and searches appointments
 * across both facilities.
 *
 * One cluster, one browser and one logged-in desktop session for the whole file; the tests
 * run in order. The browser runs in America/Los_Angeles, so times shown in the browser's
 * zone instead of the facility's would be caught. `CLINIC_SCREENSHOTS=1` saves the
 * screenshots to docs/screenshots/.
 */
import { type Locator, type Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chooseOption,
  dateIn,
  logInWithForm,
  mainNav,
  navigate,
  openRoute,
  screenshot,
  selectedLabel,
  statusMessage,
  waitForCount,
  waitForText,
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
  type EnrolledNode,
  type ProxiedEdge,
  type Region,
} from '../support/cluster';

const ZONES = ['Africa/Nairobi', 'Africa/Kampala'] as const;

interface Person {
  id: string;
  first: string;
  last: string;
}

/** One booking on each node, overlapping: times are facility-local `HH:MM`, tomorrow. */
interface Pair {
  /** [at A on node A, at B on node B], 30 minutes each */
  times: [string, string];
  ids: [string, string];
  conflict: string;
}

const cluster = createCluster();
let central: CentralServer;
let region: Region;
let admin: { username: string; password: string };
let patients: [Person, Person];
const nodes: { node: EnrolledNode; edge: ProxiedEdge; token: string }[] = [];
/** Tomorrow at the facilities (both are UTC+3). */
const tomorrow = dateIn(ZONES[0], 1);
/** Odd minutes, so an article is told apart by its times. */
const pairs: Pair[] = [
  { times: ['09:05', '09:20'], ids: ['', ''], conflict: '' },
  { times: ['15:35', '15:50'], ids: ['', ''], conflict: '' },
  { times: ['12:05', '12:20'], ids: ['', ''], conflict: '' },
];
/** Where the move test moves the appointment at B of pairs[2]. */
const MOVED_TO = '17:40';

const suite = browserSuite(cluster);
const { sessions } = suite;
let desk: BrowserSession;

const newSession = (label: string, viewport: 'desktop' | 'phone' = 'desktop') =>
  suite.newSession(label, central.url, viewport);

function open(page: Page, route: string): Promise<void> {
  return openRoute(page, central.url, route, admin);
}

/** Open conflicts on central, as the admin. */
async function openConflicts(): Promise<{ id: string; kind: string; appointments: string[] }[]> {
  const res = await central.api(
    'GET',
    '/api/v1/conflicts/?status=open&page_size=100',
    undefined,
    await central.adminToken(),
  );
  return res.status === 200 ? res.body.results : [];
}

beforeAll(async () => {
  try {
    [, central] = await Promise.all([suite.launch(), cluster.startCentral()]);
    admin = central.admin;
    region = await seedRegion(central);
    const adminToken = await central.adminToken();
    const person = async (id: string): Promise<Person> => {
      const res = await central.api('GET', `/api/v1/patients/${id}/`, undefined, adminToken);
      expect(res.status).toBe(200);
      return { id, first: res.body.first_name as string, last: res.body.last_name as string };
    };
    patients = [await person(region.patients[0].id), await person(region.patients[1].id)];

    for (const i of [0, 1] as const) {
      const node = await enrollNode(central, {
        name: `browser clinic ${'AB'[i]} ${patients[0].last}`,
        facilities: [region.facilities[i].id],
      });
      const edge = await cluster.startEdge({ central, token: node.token });
      nodes.push({ node, edge, token: '' });
    }
    for (const n of nodes) n.token = await loginWhenSynced(n.edge, region.provider);
    for (const i of [0, 1] as const) {
      const { edge, token } = nodes[i]!;
      await waitForPatients(
        edge,
        token,
        [patients[i].id],
        `the patient never arrived on node ${i}`,
      );
    }

    // Both nodes cut off; each books the provider at the same time (two pairs); heal.
    for (const n of nodes) n.edge.proxy.cut();
    try {
      for (const pair of pairs) {
        for (const i of [0, 1] as const) {
          const { edge, token } = nodes[i]!;
          const start = zonedTime(tomorrow, pair.times[i], ZONES[i]).getTime();
          const res = await edge.api(
            'POST',
            '/api/v1/appointments/',
            {
              patient: patients[i].id,
              provider: region.provider.id,
              facility: region.facilities[i].id,
              appointment_type: 'consultation',
              reason: 'Antenatal visit',
              start_time: new Date(start).toISOString(),
              end_time: new Date(start + 30 * 60_000).toISOString(),
            },
            token,
          );
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          pair.ids[i] = res.body.id as string;
        }
      }
    } finally {
      for (const n of nodes) n.edge.proxy.heal();
    }
    for (const pair of pairs) {
      const found = await waitUntil(
        async () => {
          await Promise.all(nodes.map((n) => n.edge.syncRun(n.token)));
          return (await openConflicts()).find(
            (c) => c.kind === 'provider' && pair.ids.every((id) => c.appointments.includes(id)),
          );
        },
        { timeoutMs: 60_000, intervalMs: 1_000, message: 'central never recorded the conflict' },
      );
      pair.conflict = found.id;
    }
    desk = await newSession('desktop');
  } catch (err) {
    console.log(cluster.logs());
    throw err;
  }
}, 180_000);

/** The conflict article of a pair in the queue (told apart by the pair's two times). */
function article(page: Page, pair: Pair): Locator {
  return page
    .getByRole('article')
    .filter({ hasText: pair.times[0] })
    .filter({ hasText: pair.times[1] });
}

/** The panel of one appointment inside an article: the innermost element with its patient and a button. */
function panel(page: Page, item: Locator, patient: Person): Locator {
  return item
    .locator('*')
    .filter({ hasText: patient.first })
    .filter({ has: page.getByRole('button', { name: 'Cancel this one', exact: true }) })
    .last();
}

async function conflict(id: string) {
  const res = await central.api(
    'GET',
    `/api/v1/conflicts/${id}/`,
    undefined,
    await central.adminToken(),
  );
  expect(res.status).toBe(200);
  return res.body as { status: string; resolution: string | null };
}

async function appointmentStatus(id: string): Promise<string> {
  const res = await central.api(
    'GET',
    `/api/v1/appointments/${id}/`,
    undefined,
    await central.adminToken(),
  );
  return res.body?.status as string;
}

describe("central's UI", () => {
  it('lets the admin log in and shows each conflict with both appointments side by side', async () => {
    const { page } = desk;
    await page.goto('/');
    await logInWithForm(page, admin.username, admin.password);
    const nav = mainNav(page);
    for (const [name, route] of [
      ['Conflicts', '#/conflicts'],
      ['Nodes', '#/nodes'],
      ['Search', '#/search'],
      ['Schedule', '#/schedule'],
      ['Upcoming', '#/upcoming'],
    ] as const) {
      const href = await nav.getByRole('link', { name, exact: true }).getAttribute('href');
      expect(href, name).toMatch(new RegExp(`${route}$`));
    }
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
    expect(await page.getByRole('status', { name: 'Sync status' }).count()).toBe(0);

    await navigate(page, 'Conflicts');
    await page.getByRole('heading', { name: 'Conflicts', exact: true }).waitFor();
    expect(await selectedLabel(page.getByLabel('Show', { exact: true }))).toBe('Open');

    const [a, b] = patients;
    const [facilityA, facilityB] = region.facilities;
    for (const pair of pairs) {
      const item = article(page, pair);
      await item.waitFor();
      expect(await item.getAttribute('aria-label')).toMatch(/^Provider conflict detected/);
      const text = await waitForText(item, a.first);
      for (const expected of [a.first, b.first, facilityA.name, facilityB.name]) {
        expect(text).toContain(expected);
      }
      await waitForCount(item.getByRole('button', { name: 'Cancel this one', exact: true }), 2);
      await waitForCount(item.getByRole('button', { name: 'Move this one', exact: true }), 2);
      await item.getByLabel('Resolution note', { exact: true }).waitFor();
      await item.getByRole('button', { name: 'Resolve with note', exact: true }).waitFor();

      // Side by side: the two panels share a row, one left of the other.
      const left = await panel(page, item, a).boundingBox();
      const right = await panel(page, item, b).boundingBox();
      expect(left && right, 'both panels are laid out').toBeTruthy();
      expect(Math.abs(left!.y - right!.y), 'panels start at the same height').toBeLessThan(24);
      expect(Math.abs(left!.x - right!.x), 'panels are side by side').toBeGreaterThanOrEqual(
        Math.min(left!.width, right!.width) * 0.9,
      );
      // Each panel shows its appointment's time in its facility's zone.
      expect(await panel(page, item, a).innerText()).toContain(pair.times[0]);
      expect(await panel(page, item, b).innerText()).toContain(pair.times[1]);
    }
    await screenshot(page, 'central-conflicts');
  });

  it('resolves a conflict with a note', async () => {
    const { page } = desk;
    const pair = pairs[0]!;
    await open(page, 'conflicts');
    const item = article(page, pair);
    const note = `Called both patients: ${patients[1].first} comes another day.`;
    await item.getByLabel('Resolution note', { exact: true }).fill(note);
    await item.getByRole('button', { name: 'Resolve with note', exact: true }).click();
    await statusMessage(page, 'Conflict resolved').waitFor();
    await waitForCount(item, 0);
    await waitForCount(article(page, pairs[1]!), 1);

    const record = await conflict(pair.conflict);
    expect(record.status).toBe('resolved');
    expect(record.resolution).toBe(note);
    // Both appointments stay booked.
    for (const id of pair.ids) expect(await appointmentStatus(id)).toBe('scheduled');

    await chooseOption(page.getByLabel('Show', { exact: true }), 'Resolved');
    await waitForCount(item, 1);
    await chooseOption(page.getByLabel('Show', { exact: true }), 'Open');
    await waitForCount(item, 0);
  });

  it('resolves a conflict by cancelling one of its appointments', async () => {
    const { page } = desk;
    const pair = pairs[1]!;
    await open(page, 'conflicts');
    const item = article(page, pair);
    await item.waitFor();
    await panel(page, item, patients[1])
      .getByRole('button', { name: 'Cancel this one', exact: true })
      .click();
    // A confirmation step is allowed ("Yes, cancel it"), not required.
    await waitUntil(
      async () => {
        const yes = page.getByRole('button', { name: 'Yes, cancel it', exact: true });
        if ((await yes.count()) === 1 && (await yes.isVisible())) await yes.click();
        return (await appointmentStatus(pair.ids[1])) === 'cancelled';
      },
      { timeoutMs: 20_000, intervalMs: 300, message: 'the appointment was never cancelled' },
    );
    await waitUntil(async () => (await conflict(pair.conflict)).status === 'resolved', {
      timeoutMs: 20_000,
      message: 'the conflict did not resolve itself after the cancellation',
    });
    expect((await conflict(pair.conflict)).resolution).toMatch(/^auto:/);
    expect(await appointmentStatus(pair.ids[0])).toBe('scheduled');
    await waitForCount(item, 0);
  });

  it('resolves a conflict by moving one of its appointments', async () => {
    const { page } = desk;
    const pair = pairs[2]!;
    await open(page, 'conflicts');
    const item = article(page, pair);
    await item.waitFor();
    const moving = panel(page, item, patients[1]);
    await moving.getByRole('button', { name: 'Move this one', exact: true }).click();
    await item.getByLabel('New date', { exact: true }).fill(tomorrow);
    await item.getByLabel('New start time', { exact: true }).fill(MOVED_TO);
    await expectLabelledAndFits(page, 'this screen');
    await item.getByRole('button', { name: 'Save move', exact: true }).click();

    const wanted = zonedTime(tomorrow, MOVED_TO, ZONES[1]).getTime();
    await waitUntil(
      async () => {
        const res = await central.api(
          'GET',
          `/api/v1/appointments/${pair.ids[1]}/`,
          undefined,
          await central.adminToken(),
        );
        return (
          res.body?.status === 'scheduled' &&
          new Date(res.body.start_time as string).getTime() === wanted &&
          res.body.duration_minutes === 30
        );
      },
      { timeoutMs: 20_000, message: `the appointment was never moved to ${MOVED_TO}` },
    );
    await waitUntil(async () => (await conflict(pair.conflict)).status === 'resolved', {
      timeoutMs: 20_000,
      message: 'the conflict did not resolve itself after the move',
    });
    await waitForCount(item, 0);
  });

  it('lists both nodes with their sync health', async () => {
    const { page } = desk;
    await open(page, 'conflicts');
    await navigate(page, 'Nodes');
    await page.getByRole('heading', { name: 'Nodes', exact: true }).waitFor();
    const table = page.getByRole('table');
    await table.waitFor();
    const headers = (await table.getByRole('columnheader').allInnerTexts()).map((h) => h.trim());
    const columns = [
      'Name',
      'Facilities',
      'Last push',
      'Last pull',
      'Backlog',
      'Protocol',
      'Last error',
    ];
    for (const column of columns) expect(headers, column).toContain(column);
    for (const [i, { node }] of nodes.entries()) {
      const row = table.getByRole('row').filter({ hasText: node.name });
      await row.waitFor();
      const cells = (await row.locator('th, td').allInnerTexts()).map((c) => c.trim());
      const cell = (column: string) => cells[headers.indexOf(column)] ?? '';
      expect(cell('Name')).toContain(node.name);
      expect(cell('Facilities')).toContain(region.facilities[i]!.name);
      expect(cell('Backlog')).toMatch(/\d/);
      expect(cell('Protocol')).toMatch(/\S/);
      expect(cell('Last push')).toMatch(/\d/);
    }
    await screenshot(page, 'central-nodes');
  });

  it('searches appointments across both facilities, times in each facility zone', async () => {
    const { page } = desk;
    await open(page, 'conflicts');
    await navigate(page, 'Search');
    await page.getByRole('heading', { name: 'Search appointments' }).waitFor();
    const facility = page.getByLabel('Facility', { exact: true });
    const status = page.getByLabel('Status', { exact: true });
    expect((await facility.locator('option').first().textContent())?.trim()).toBe('All facilities');
    expect((await status.locator('option').first().textContent())?.trim()).toBe('Any status');
    await page.getByLabel('Search', { exact: true }).fill(patients[0].last);
    await page.getByRole('button', { name: 'Search', exact: true }).click();

    const table = page.getByRole('table');
    await table.waitFor();
    const headers = (await table.getByRole('columnheader').allInnerTexts()).map((h) => h.trim());
    expect(headers).toContain('Facility');
    const [facilityA, facilityB] = region.facilities;
    const rows = table.getByRole('row').filter({ hasText: patients[0].last });
    await waitForCount(rows, pairs.length * 2);
    await waitForCount(rows.filter({ hasText: facilityA.name }), pairs.length);
    await waitForCount(rows.filter({ hasText: facilityB.name }), pairs.length);
    // Each row shows its time in its facility's zone (the browser is in Los Angeles).
    const at = (name: string, time: string) =>
      rows.filter({ hasText: name }).filter({ hasText: time });
    for (const [i, pair] of pairs.entries()) {
      await waitForCount(at(facilityA.name, pair.times[0]), 1);
      await waitForCount(at(facilityB.name, i === 2 ? MOVED_TO : pair.times[1]), 1);
    }
    await screenshot(page, 'central-search');

    // Narrowed to facility B and cancelled: the one cancelled from the queue.
    await chooseOption(facility, facilityB.name);
    await chooseOption(status, 'Cancelled');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitForCount(rows, 1);
    await waitForText(rows, pairs[1]!.times[1]);
  });

  it('labels every control and fits 1366x768 and 390x844 without scrolling sideways', async () => {
    const phone = await newSession('phone', 'phone');
    const fresh = await newSession('logged out desktop');
    await expectLoginScreenFits(fresh.page, phone.page);
    await logInWithForm(phone.page, admin.username, admin.password);

    for (const [label, { page }] of [
      ['1366x768', desk],
      ['390x844', phone],
    ] as const) {
      const check = async (what: string) => {
        const where = `${what} at ${label}`;
        await expectLabelledAndFits(page, where);
      };
      // Conflicts, with every conflict listed (both are resolved by now).
      await open(page, 'conflicts');
      await page.getByRole('heading', { name: 'Conflicts', exact: true }).waitFor();
      await chooseOption(page.getByLabel('Show', { exact: true }), 'All');
      await article(page, pairs[0]!).waitFor();
      await check('conflicts');

      await open(page, 'nodes');
      await page.getByRole('heading', { name: 'Nodes', exact: true }).waitFor();
      await page
        .getByRole('table')
        .getByRole('row')
        .filter({ hasText: nodes[0]!.node.name })
        .waitFor();
      await check('nodes');

      await open(page, 'search');
      await page.getByRole('heading', { name: 'Search appointments' }).waitFor();
      await page.getByLabel('Search', { exact: true }).fill(patients[0].last);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page
        .getByRole('table')
        .getByRole('row')
        .filter({ hasText: patients[0].last })
        .first()
        .waitFor();
      await check('search');

      await open(page, 'schedule');
      await page.getByRole('heading', { name: 'Schedule', exact: true }).waitFor();
      await check('schedule');

      await open(page, 'upcoming');
      await page.getByRole('heading', { name: 'Upcoming appointments' }).waitFor();
      await check('upcoming');
    }
  }, 90_000);

  it('talked to no other host and raised no errors in any session', async () => {
    for (const { label, session } of sessions) {
      await session.settle();
      expect(session.foreignRequests(central.url), label).toEqual([]);
      expect(session.problems(), label).toEqual([]);
    }
  });
});
