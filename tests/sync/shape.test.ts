/**
 * The shape server (sync/src/central/shape-server.ts over store-postgres's shape source)
 * against the REAL @electric-sql/client and plain HTTP: headers, values, paging, scope,
 * change feed (updates and deletes), live long-poll, 409 must-refetch and auth.
 * Central is a PGlite copy written through the PgStore port, so the change-log triggers
 * fire as in production.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  isChangeMessage,
  isControlMessage,
  ShapeStream,
  type Message,
  type Row,
} from '@electric-sql/client';
import {
  createPgliteTemplate,
  createShapeSource,
  type PgliteTemplate,
  type PgStore,
} from '@clinic/store-postgres';
import { makeAppointment, makeFacility, makeUser } from '../conformance/fixtures';
import { openTestPostgresStore, testDatabaseUrl } from '../support/postgres';
import {
  openCentralStore,
  seedWorld,
  sorted,
  startCentral,
  TOKEN,
  type Central,
  type World,
} from './shape-harness';

let template: PgliteTemplate;
let central: Central;
let world: World;

beforeAll(async () => {
  template = await createPgliteTemplate();
});

beforeEach(async () => {
  const store = await openCentralStore(template);
  world = await seedWorld(store);
  central = await startCentral(store, { facilities: [world.facilities.fA.id], pageSize: 2 });
});

afterEach(async () => {
  await central.close();
  await central.store.close();
});

afterAll(() => undefined);

const auth = { authorization: `Bearer ${TOKEN}` };

function get(params: Record<string, string>, headers: Record<string, string> = auth) {
  return fetch(`${central.url}/sync/v2/shape?${new URLSearchParams(params)}`, { headers });
}

/** Reads a table with a fresh ShapeStream (subscribe: false) up to its first up-to-date. */
async function readShape(
  table: string,
  from?: { offset: string; handle: string },
): Promise<{ messages: Message<Row>[]; offset: string; handle: string }> {
  const controller = new AbortController();
  const stream = new ShapeStream<Row>({
    url: `${central.url}/sync/v2/shape`,
    params: { table },
    headers: auth,
    subscribe: false,
    signal: controller.signal,
    ...(from ? { offset: from.offset as `${number}_${number}`, handle: from.handle } : {}),
  });
  const messages: Message<Row>[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      stream.subscribe(
        (batch) => {
          messages.push(...batch);
          if (batch.some((m) => isControlMessage(m) && m.headers.control === 'up-to-date')) {
            resolve();
          }
        },
        (error) => reject(error),
      );
    });
  } finally {
    stream.unsubscribeAll();
    controller.abort();
  }
  return { messages, offset: stream.lastOffset, handle: stream.shapeHandle ?? '' };
}

/** The distinct keys of the change messages (a key may come once per changes page). */
const keysOf = (messages: Message<Row>[], op?: string) =>
  sorted([
    ...new Set(
      messages
        .filter(isChangeMessage)
        .filter((m) => op === undefined || m.headers.operation === op)
        .map((m) => m.key),
    ),
  ]);

describe('shape server', () => {
  it('serves the snapshot in pages with the headers the client requires', async () => {
    const first = await get({ table: 'appointments', offset: '-1' });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('access-control-expose-headers')).toContain('electric-offset');
    const handle = first.headers.get('electric-handle') ?? '';
    expect(handle).toMatch(/^appointments-[0-9a-f]{8}-e1$/);
    expect(first.headers.get('electric-up-to-date')).toBeNull();
    const schema = JSON.parse(first.headers.get('electric-schema') ?? '{}');
    expect(schema.id).toEqual({ type: 'uuid', not_null: true, pk_index: 0 });
    expect(schema.start_time).toEqual({ type: 'timestamptz', not_null: true });
    expect(schema.deleted_at).toEqual({ type: 'timestamptz' });
    const body = (await first.json()) as Array<{ key: string; value: Record<string, unknown> }>;
    expect(body).toHaveLength(2);
    // Page offsets: <head>_<last key as the decimal of its UUID>.
    const offset = first.headers.get('electric-offset') ?? '';
    const [head, key] = offset.split('_');
    expect(BigInt(key ?? '0')).toBe(BigInt(`0x${body[1]?.key.replace(/-/g, '')}`));

    // 4 appointments in scope, 2 per page: the third page is empty and ends the snapshot.
    let next = offset;
    const pages: unknown[][] = [];
    for (let i = 0; i < 5 && !next.endsWith('_0'); i += 1) {
      const res = await get({ table: 'appointments', offset: next, handle });
      pages.push((await res.json()) as unknown[]);
      next = res.headers.get('electric-offset') ?? '';
      if (next.endsWith('_0')) expect(res.headers.get('electric-up-to-date')).toBe('true');
    }
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(next).toBe(`${head}_0`);
    expect(pages.at(-1)?.at(-1)).toEqual({ headers: { control: 'up-to-date' } });
  });

  it('sends exactly the in-scope rows of every table through the real client', async () => {
    const { a1, a2, a3, a6 } = world.appointments;
    const { pA, pB, pC } = world.patients;
    const { provA, provB, provC, admin } = world.users;
    const { c1, c3 } = world.conflicts;
    const appointments = await readShape('appointments');
    expect(keysOf(appointments.messages)).toEqual(sorted([a1.id, a2.id, a3.id, a6.id]));
    expect(keysOf((await readShape('patients')).messages)).toEqual(sorted([pA.id, pB.id, pC.id]));
    const users = await readShape('users');
    expect(keysOf(users.messages)).toEqual(sorted([provA.id, provB.id, provC.id, admin.id]));
    expect(keysOf((await readShape('user_facilities')).messages)).toEqual(
      sorted([
        `${provA.id}:${world.facilities.fA.id}`,
        `${provB.id}:${world.facilities.fB.id}`,
        `${provC.id}:${world.facilities.fC.id}`,
      ]),
    );
    expect(keysOf((await readShape('conflicts')).messages)).toEqual(sorted([c1.id, c3.id]));
    expect((await readShape('facilities')).messages.filter(isChangeMessage)).toHaveLength(3);

    // Values as the client parses them by the electric-schema types.
    const value = (key: string, messages: Message<Row>[]) =>
      messages.filter(isChangeMessage).find((m) => m.key === key)?.value;
    const v1 = value(a1.id, appointments.messages);
    expect(v1?.version).toBe(1);
    expect(v1?.created_by).toBeNull();
    expect(v1?.start_time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00$/);
    const facility = value(world.facilities.fA.id, (await readShape('facilities')).messages);
    expect(facility?.is_active).toBe(true);
    expect(facility?.capacity).toBe(2);
    // Staff of the node's facilities log in there; users only referenced travel without.
    expect(value(provA.id, users.messages)?.password_hash).toBe(provA.password_hash);
    expect(value(provB.id, users.messages)?.password_hash).toBe('');
    expect(value(admin.id, users.messages)?.password_hash).toBe('');
    expect(value(admin.id, users.messages)).not.toHaveProperty('facilities');
  });

  it('sends booleans as t/f in the text format', async () => {
    const res = await get({ table: 'facilities', offset: '-1' });
    const body = (await res.json()) as Array<{ value?: { is_active: string } }>;
    expect(body[0]?.value?.is_active).toBe('t');
  });

  it('feeds updates, and deletes for rows that left the scope, after up-to-date', async () => {
    const snap = await readShape('appointments');
    const { a1, a6 } = world.appointments;
    const { fC } = world.facilities;
    await central.store.write(async (tx) => {
      await tx.updateAppointment({ ...a1, reason: 'Changed at central', version: 2 });
      // a6 moves to C: neither its provider nor its patient tie it to A any more.
      await tx.updateAppointment({ ...a6, facility: fC.id, version: 2 });
      // Out of scope from the start: never announced to this node.
      await tx.insertAppointment(
        makeAppointment({
          facility: fC.id,
          provider: world.users.provD.id,
          patient: world.patients.pD.id,
        }),
      );
    });
    const next = await readShape('appointments', snap);
    expect(keysOf(next.messages, 'update')).toEqual([a1.id]);
    expect(keysOf(next.messages, 'delete')).toEqual([a6.id]);
    const update = next.messages.filter(isChangeMessage).find((m) => m.key === a1.id);
    expect(update?.value.reason).toBe('Changed at central');
    const del = next.messages.filter(isChangeMessage).find((m) => m.key === a6.id);
    expect(del?.value).toEqual({ id: a6.id });
    expect(next.offset).not.toBe(snap.offset);

    // An unlinked staff link is deleted; the user, no longer linked, loses its hash.
    const links = await readShape('user_facilities');
    const users = await readShape('users');
    const { provA } = world.users;
    await central.store.write(async (tx) => {
      await tx.updateUser({ ...provA, facilities: [world.facilities.fB.id], version: 2 });
    });
    const linkChanges = await readShape('user_facilities', links);
    expect(keysOf(linkChanges.messages, 'delete')).toEqual([
      `${provA.id}:${world.facilities.fA.id}`,
    ]);
    expect(keysOf(linkChanges.messages, 'update')).toEqual([
      `${provA.id}:${world.facilities.fB.id}`,
    ]);
    const userChanges = await readShape('users', users);
    const provAValue = userChanges.messages
      .filter(isChangeMessage)
      .find((m) => m.key === provA.id)?.value;
    // Still in scope (provider of a1 at A), but no longer staff there.
    expect(provAValue?.password_hash).toBe('');
  });

  it('answers a live request with up-to-date at the same offset when nothing changed', async () => {
    const snap = await readShape('appointments');
    const t0 = performance.now();
    const res = await get({
      table: 'appointments',
      offset: snap.offset,
      handle: snap.handle,
      live: 'true',
      cursor: '',
    });
    const elapsed = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ headers: { control: 'up-to-date' } }]);
    expect(res.headers.get('electric-offset')).toBe(snap.offset);
    expect(res.headers.get('electric-cursor')).toMatch(/^\d+$/);
    expect(res.headers.get('electric-schema')).toBeNull();
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('wakes a live request when a row changes, and a subscribed client gets it', async () => {
    const controller = new AbortController();
    const stream = new ShapeStream<Row>({
      url: `${central.url}/sync/v2/shape`,
      params: { table: 'appointments' },
      headers: auth,
      signal: controller.signal,
    });
    const { a1 } = world.appointments;
    try {
      const updated = new Promise<Row>((resolve, reject) => {
        let live = false;
        stream.subscribe(
          (batch) => {
            for (const m of batch) {
              if (isChangeMessage(m) && live && m.key === a1.id) resolve(m.value);
            }
            if (batch.some((m) => isControlMessage(m) && m.headers.control === 'up-to-date')) {
              if (!live) {
                live = true;
                void central.store.write((tx) =>
                  tx.updateAppointment({ ...a1, reason: 'live', version: 2 }),
                );
              }
            }
          },
          (error) => reject(error),
        );
      });
      expect((await updated).reason).toBe('live');
    } finally {
      stream.unsubscribeAll();
      controller.abort();
    }
  });

  it('answers 409 must-refetch when the epoch changes, and the client refetches', async () => {
    const snap = await readShape('appointments');
    central.setEpoch('e2');
    const res = await get({ table: 'appointments', offset: snap.offset, handle: snap.handle });
    expect(res.status).toBe(409);
    expect(res.headers.get('electric-handle')).toBe(snap.handle.replace(/-e1$/, '-e2'));
    expect(await res.json()).toEqual([{ headers: { control: 'must-refetch' } }]);

    const again = await readShape('appointments', snap);
    expect(
      again.messages.some((m) => isControlMessage(m) && m.headers.control === 'must-refetch'),
    ).toBe(true);
    expect(keysOf(again.messages, 'insert')).toHaveLength(4);
    expect(again.handle).toMatch(/-e2$/);
  });

  it('answers 409 for an offset beyond the head and a handle of another scope', async () => {
    const snap = await readShape('appointments');
    const beyond = await get({ table: 'appointments', offset: '999999_0', handle: snap.handle });
    expect(beyond.status).toBe(409);
    central.node.facilities = [world.facilities.fB.id];
    const rescoped = await get({ table: 'appointments', offset: snap.offset, handle: snap.handle });
    expect(rescoped.status).toBe(409);
    expect(rescoped.headers.get('electric-handle')).not.toBe(snap.handle);
  });

  it('refuses a bad token (401), an unknown table and a malformed offset (400)', async () => {
    const bad = await get({ table: 'appointments', offset: '-1' }, { authorization: 'Bearer x' });
    expect(bad.status).toBe(401);
    expect((await bad.json()) as object).toHaveProperty('detail');
    const none = await get({ table: 'appointments', offset: '-1' }, {});
    expect(none.status).toBe(401);
    const unknown = await get({ table: 'outbox', offset: '-1' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ detail: 'Unknown table: outbox.' });
    const malformed = await get({ table: 'appointments', offset: 'abc', handle: 'h' });
    expect(malformed.status).toBe(400);
    central.revoke();
    const revoked = await get({ table: 'appointments', offset: '-1' });
    expect(revoked.status).toBe(401);
  });

  it('brings a new provider into scope when one of its appointments does', async () => {
    const users = await readShape('users');
    const newcomer = makeUser({ facilities: [world.facilities.fC.id] });
    await central.store.write(async (tx) => {
      await tx.insertUser(newcomer);
      await tx.insertAppointment(
        makeAppointment({
          facility: world.facilities.fA.id,
          provider: newcomer.id,
          patient: world.patients.pA.id,
        }),
      );
    });
    const next = await readShape('users', users);
    expect(keysOf(next.messages, 'update')).toEqual([newcomer.id]);
  });
});

// ---- On a PostgreSQL server: concurrent writers ------------------------------------------

const adminUrl = testDatabaseUrl('shape source');

describe.skipIf(adminUrl === undefined)('shape source on a PostgreSQL server', () => {
  let pg: PgStore;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestPostgresStore(adminUrl ?? '', { poolSize: 4 });
    pg = opened.store as PgStore;
    dispose = opened.dispose;
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('never moves past a change-log entry whose transaction has not committed yet', async () => {
    const source = createShapeSource(pg.db, { maxWaitMs: 10_000 });
    const start = await source.head();
    const early = makeFacility();
    const late = makeFacility();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A takes the lower seq and stays open; B takes the next one and commits first.
    const a = pg.write(async (tx) => {
      await tx.insertFacility(early);
      await gate;
    });
    while ((await source.head()) === start) await new Promise((r) => setTimeout(r, 5));
    await pg.write((tx) => tx.insertFacility(late));
    // What a reader using max(seq) would see: B's entry, not A's (seq order != commit order).
    const visible = await pg.db.query<{ key: string }>(
      'SELECT key FROM change_log WHERE seq > $1 ORDER BY seq',
      [start],
    );
    expect(visible.map((r) => r.key)).toEqual([late.id]);

    let settled = false;
    const reading = source.changes('facilities', { facilities: [] }, start, 100).then((page) => {
      settled = true;
      return page;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // it waits for A rather than answering past A's seq
    release();
    await a;
    const page = await reading;
    expect(page.entries.map((e) => e.key)).toEqual([early.id, late.id]);
    expect(page.upTo).toBe(page.head);
  });

  it('serves snapshots and two-column keys with the same SQL as on PGlite', async () => {
    const seeded = await seedWorld(pg);
    const source = createShapeSource(pg.db);
    const scope = { facilities: [seeded.facilities.fA.id] };
    const appointments = await source.snapshot('appointments', scope, null, 100);
    const { a1, a2, a3, a6 } = seeded.appointments;
    expect(sorted(appointments.rows.map((r) => r.key))).toEqual(
      sorted([a1.id, a2.id, a3.id, a6.id]),
    );
    const links = await source.changes('user_facilities', scope, 0, 1000);
    const { provA } = seeded.users;
    expect(links.entries.map((e) => e.key)).toContain(`${provA.id}:${seeded.facilities.fA.id}`);
    const page2 = await source.snapshot(
      'user_facilities',
      scope,
      `${provA.id}:${seeded.facilities.fA.id}`,
      100,
    );
    expect(page2.rows.every((r) => r.key > `${provA.id}:`)).toBe(true);
  });
});
