/**
 * The pull end to end: central (PGlite, written through the PgStore port) serving shapes
 * over real HTTP, a clinic node (SQLite file in a temp dir) pulling with `pullOnce` and
 * the real @electric-sql/client, and the applier writing the rows (sync/SPEC.md sections 4
 * and 5): first sync in pages without scope leaks, incremental changes, moves out of
 * scope, resume after a restart, must-refetch, parking for pending local writes and for
 * parents that arrive later, and the errors a caller must tell apart.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPgliteTemplate, type PgliteTemplate } from '@clinic/store-postgres';
import { releaseDeferred } from '@clinic/store-sqlite';
import { parseTimestamptz, pullOnce, PullError, type PullReport } from '@clinic/sync';
import {
  FIXED_NOW,
  makeAppointment,
  makeNotification,
  makePatient,
  makeUser,
} from '../conformance/fixtures';
import {
  edgeIds,
  openCentralStore,
  openEdge,
  seedWorld,
  sorted,
  startCentral,
  TOKEN,
  type Central,
  type Edge,
  type World,
} from './shape-harness';

let template: PgliteTemplate;
let central: Central;
let edge: Edge;
let world: World;

beforeAll(async () => {
  template = await createPgliteTemplate();
});

beforeEach(async () => {
  const store = await openCentralStore(template);
  world = await seedWorld(store);
  // Pages of 2 rows: every table of the first sync takes several requests.
  central = await startCentral(store, { facilities: [world.facilities.fA.id], pageSize: 2 });
  edge = await openEdge(central);
});

afterEach(async () => {
  await edge.close();
  await central.close();
  await central.store.close();
});

afterAll(() => undefined);

const total = (report: PullReport, field: 'applied' | 'deleted' | 'deferred' | 'messages') =>
  Object.values(report.tables).reduce((sum, t) => sum + (t?.[field] ?? 0), 0);

function parked(table: string): Array<{ key: string; reason: string }> {
  return edge.store.readSql((sql) =>
    sql.all<{ key: string; reason: string }>(
      'SELECT key, reason FROM sync_deferred WHERE tbl = @tbl ORDER BY key',
      { tbl: table },
    ),
  );
}

describe('pull', () => {
  it('lands every in-scope row of every table on the first sync, and nothing else', async () => {
    const report = await edge.pull();
    const { a1, a2, a3, a6 } = world.appointments;
    const { pA, pB, pC } = world.patients;
    const { provA, provB, provC, admin } = world.users;
    const { fA, fB, fC } = world.facilities;
    expect(edgeIds(edge, 'facilities')).toEqual(sorted([fA.id, fB.id, fC.id]));
    expect(edgeIds(edge, 'users')).toEqual(sorted([provA.id, provB.id, provC.id, admin.id]));
    expect(edgeIds(edge, 'user_facilities', "user_id || ':' || facility_id")).toEqual(
      sorted([`${provA.id}:${fA.id}`, `${provB.id}:${fB.id}`, `${provC.id}:${fC.id}`]),
    );
    // No scope leak: pD, pNull, a4 and a5 stay on central.
    expect(edgeIds(edge, 'patients')).toEqual(sorted([pA.id, pB.id, pC.id]));
    expect(edgeIds(edge, 'appointments')).toEqual(sorted([a1.id, a2.id, a3.id, a6.id]));
    expect(edgeIds(edge, 'conflicts')).toEqual(
      sorted([world.conflicts.c1.id, world.conflicts.c3.id]),
    );
    expect(parked('appointments')).toEqual([]);
    expect(total(report, 'applied')).toBe(3 + 4 + 3 + 3 + 4 + 2);

    // The rows are the domain records, times and booleans exact.
    const local = await edge.store.getAppointment(a1.id);
    expect(local).toMatchObject({ ...a1 });
    expect(await edge.store.getFacility(fA.id)).toEqual(fA);
    expect(await edge.store.getPatient(pA.id)).toEqual(pA);
    const conflict = await edge.store.getConflict(world.conflicts.c1.id);
    expect(conflict).toEqual(world.conflicts.c1);
    // Staff of A can log in offline; users only referenced by A's appointments cannot.
    expect((await edge.store.getUser(provA.id))?.password_hash).toBe(provA.password_hash);
    expect((await edge.store.getUser(provA.id))?.facilities).toEqual([fA.id]);
    expect((await edge.store.getUser(provB.id))?.password_hash).toBe('');
    expect((await edge.store.getUser(admin.id))?.password_hash).toBe('');
    // The clocks of the pulled rows are reported for the node's HLC to observe.
    expect(report.maxHlc).toBe(JSON.parse(a6.clocks).slot);
  });

  it('brings inserts and updates made after up-to-date', async () => {
    await edge.pull();
    const { a1 } = world.appointments;
    const added = makeAppointment({
      facility: world.facilities.fA.id,
      provider: world.users.provA.id,
      patient: world.patients.pA.id,
    });
    await central.store.write(async (tx) => {
      await tx.insertAppointment(added);
      await tx.updateAppointment({ ...a1, status: 'cancelled', version: 2 });
      await tx.updatePatient({ ...world.patients.pA, phone_number: '+254711111111', version: 2 });
    });
    const report = await edge.pull();
    expect(report.tables.appointments?.applied).toBe(2);
    expect((await edge.store.getAppointment(added.id))?.id).toBe(added.id);
    expect((await edge.store.getAppointment(a1.id))?.status).toBe('cancelled');
    expect((await edge.store.getPatient(world.patients.pA.id))?.phone_number).toBe('+254711111111');
  });

  it('deletes an appointment moved to a facility outside the scope', async () => {
    await edge.pull();
    const { a6 } = world.appointments;
    await central.store.write((tx) =>
      tx.updateAppointment({ ...a6, facility: world.facilities.fC.id, version: 2 }),
    );
    const report = await edge.pull();
    expect(report.tables.appointments?.deleted).toBe(1);
    expect(await edge.store.getAppointment(a6.id, { includeDeleted: true })).toBeUndefined();
  });

  it('resumes from the stored offsets after a restart without sending rows again', async () => {
    await edge.pull();
    const first = central.sent.rows;
    expect(first).toBeGreaterThanOrEqual(19);
    await edge.restart();
    const idle = await edge.pull();
    expect(central.sent.rows).toBe(first);
    expect(total(idle, 'messages')).toBe(0);

    await central.store.write((tx) =>
      tx.updateAppointment({ ...world.appointments.a2, reason: 'after restart', version: 2 }),
    );
    await edge.restart();
    const after = await edge.pull();
    expect(after.tables.appointments?.messages).toBe(1);
    expect(central.sent.rows).toBe(first + 1);
    expect((await edge.store.getAppointment(world.appointments.a2.id))?.reason).toBe(
      'after restart',
    );
  });

  it('refetches everything after a 409 when central’s epoch changes, then carries on', async () => {
    await edge.pull();
    const before = edge.pullStore.readPosition('appointments');
    central.setEpoch('e2');
    const report = await edge.pull();
    for (const table of Object.values(report.tables)) expect(table?.refetched).toBe(true);
    expect(report.tables.appointments?.messages).toBe(4);
    const after = await edge.pullStore.readPosition('appointments');
    expect(after?.handle).toMatch(/-e2$/);
    expect(after?.handle).not.toBe((await before)?.handle);
    expect(edgeIds(edge, 'appointments')).toHaveLength(4);
    const steady = await edge.pull();
    expect(Object.values(steady.tables).some((t) => t?.refetched)).toBe(false);
    expect(total(steady, 'messages')).toBe(0);
  });

  it('parks a row with a pending local mutation and applies it once released', async () => {
    await edge.pull();
    const { a1 } = world.appointments;
    // A local edit not yet pushed: the row and its pending outbox mutation.
    await edge.store.writeSql((sql) => {
      sql.run(`UPDATE appointments SET reason = 'edited on the node', version = 2 WHERE id = @id`, {
        id: a1.id,
      });
      sql.run(
        `INSERT INTO outbox (kind, entity_id, hlc, args, status, created_at)
         VALUES ('appointment.put', @id, 'hlc', '{}', 'pending', 0)`,
        { id: a1.id },
      );
    });
    await central.store.write((tx) =>
      tx.updateAppointment({ ...a1, reason: 'edited at central', version: 2 }),
    );
    const report = await edge.pull();
    expect(report.tables.appointments?.deferred).toBe(1);
    expect((await edge.store.getAppointment(a1.id))?.reason).toBe('edited on the node');
    expect(parked('appointments')).toEqual([{ key: a1.id, reason: 'pending' }]);

    // Still pending: nothing is released.
    expect(await releaseDeferred(edge.store, [a1.id])).toBe(0);
    await edge.store.writeSql((sql) =>
      sql.run(`UPDATE outbox SET status = 'applied' WHERE entity_id = @id`, { id: a1.id }),
    );
    expect(await releaseDeferred(edge.store, [a1.id])).toBe(1);
    expect((await edge.store.getAppointment(a1.id))?.reason).toBe('edited at central');
    expect(parked('appointments')).toEqual([]);
  });

  it('parks an appointment whose patient has not arrived, and applies it when it does', async () => {
    await edge.pull();
    const newcomer = makePatient({ registered_facility: world.facilities.fA.id });
    const booked = makeAppointment({
      facility: world.facilities.fA.id,
      provider: world.users.provA.id,
      patient: newcomer.id,
    });
    await central.store.write(async (tx) => {
      await tx.insertPatient(newcomer);
      await tx.insertAppointment(booked);
    });
    // The appointments stream runs before the patients stream has brought the patient.
    const early = await edge.pull({ tables: ['appointments'] });
    expect(early.tables.appointments?.deferred).toBe(1);
    expect(early.parentsApplied).toBe(0);
    expect(parked('appointments')).toEqual([{ key: booked.id, reason: 'parent' }]);
    expect(await edge.store.getAppointment(booked.id)).toBeUndefined();

    const late = await edge.pull({ tables: ['patients'] });
    expect(late.parentsApplied).toBe(1);
    expect((await edge.store.getAppointment(booked.id))?.patient).toBe(newcomer.id);
    expect(parked('appointments')).toEqual([]);
  });

  it('fails with unauthorized for a bad or revoked token, and changes nothing', async () => {
    const bad = await pullOnce({
      centralUrl: central.url,
      token: 'clinic-node.nope',
      store: edge.pullStore,
    }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PullError);
    expect((bad as PullError).kind).toBe('unauthorized');
    expect((bad as PullError).status).toBe(401);
    central.revoke();
    const revoked = await edge.pull().catch((e: unknown) => e);
    expect((revoked as PullError).kind).toBe('unauthorized');
    expect(edgeIds(edge, 'facilities')).toEqual([]);
    expect(await edge.pullStore.readPosition('facilities')).toBeUndefined();
  });

  it('fails with unreachable when nothing listens, and with timeout when central hangs', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const closed = await pullOnce({
      centralUrl: `http://127.0.0.1:${free}`,
      token: TOKEN,
      store: edge.pullStore,
      retries: 1,
    }).catch((e: unknown) => e);
    expect((closed as PullError).kind).toBe('unreachable');

    // Central accepts the request and never answers.
    const sockets = new Set<Socket>();
    const hanging: Server = createServer((req) => sockets.add(req.socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const address = hanging.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const t0 = performance.now();
      const slow = await pullOnce({
        centralUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        store: edge.pullStore,
        timeoutMs: 300,
      }).catch((e: unknown) => e);
      expect((slow as PullError).kind).toBe('timeout');
      expect(performance.now() - t0).toBeLessThan(2_000);
      // The request was aborted: the client closed its connection.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sockets.size).toBeGreaterThan(0);
      expect([...sockets].every((s) => s.destroyed)).toBe(true);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('deletes a user who left the scope, or revokes its login while a local row needs it', async () => {
    const { fA } = world.facilities;
    const gone = makeUser({ facilities: [fA.id] });
    const needed = makeUser({ facilities: [fA.id] });
    await central.store.write(async (tx) => {
      await tx.insertUser(gone);
      await tx.insertUser(needed);
    });
    await edge.pull();
    expect((await edge.store.getUser(needed.id))?.password_hash).toBe(needed.password_hash);
    // A booking made on the node (not pushed yet) names `needed` as its provider.
    const local = makeAppointment({
      facility: fA.id,
      provider: needed.id,
      patient: world.patients.pA.id,
    });
    await edge.store.write((tx) => tx.insertAppointment(local));
    await central.store.write(async (tx) => {
      await tx.updateUser({ ...gone, facilities: [], version: 2 });
      await tx.updateUser({ ...needed, facilities: [], version: 2 });
    });
    const report = await edge.pull();
    expect(await edge.store.getUser(gone.id)).toBeUndefined();
    expect(report.tables.users?.deleted).toBe(1);
    expect(report.tables.users?.skipped).toBe(1);
    const kept = await edge.store.getUser(needed.id);
    expect(kept?.password_hash).toBe('');
    expect(kept?.facilities).toEqual([]);
  });

  it('gives a username taken from a stale local copy to its new owner within the batch', async () => {
    // One changes page for the whole story (the default harness pages hold 2 entries).
    const wide = await startCentral(central.store, {
      facilities: [world.facilities.fA.id],
      pageSize: 100,
    });
    const node = await openEdge(wide);
    try {
      await node.pull();
      const { provA, provB } = world.users;
      await central.store.write((tx) =>
        tx.updateUser({ ...provA, username: 'renamed', facilities: provA.facilities, version: 2 }),
      );
      await central.store.write((tx) =>
        tx.updateUser({ ...provB, username: provA.username, version: 2 }),
      );
      // provA changes again: in the page, provB's entry now comes first, while the node
      // still has provA under provA's old username.
      await central.store.write((tx) =>
        tx.updateUser({ ...provA, username: 'renamed-again', version: 3 }),
      );
      const report = await node.pull({ tables: ['users'] });
      expect(report.tables.users?.applied).toBe(2);
      expect((await node.store.getUser(provB.id))?.username).toBe(provA.username);
      expect((await node.store.getUser(provA.id))?.username).toBe('renamed-again');
    } finally {
      await node.close();
      await wide.close();
    }
  });

  it('keeps the node’s own admin when a central user arrives with the same username', async () => {
    const { fA } = world.facilities;
    // Made on the node by `clinic edge --admin-user`: exists nowhere else.
    const localAdmin = makeUser({ role: 'admin', user_type: 'admin', facilities: [] });
    const localStaff = makeUser({ facilities: [] });
    await edge.store.write(async (tx) => {
      await tx.insertUser(localAdmin);
      await tx.insertUser(localStaff);
    });
    // Central's admin (same username) books at A: it enters the scope, without a hash.
    const centralAdmin = makeUser({
      role: 'admin',
      user_type: 'admin',
      facilities: [],
      username: localAdmin.username,
    });
    // Central's staff of A with the local staff's username: logs in here, so it wins.
    const centralStaff = makeUser({ facilities: [fA.id], username: localStaff.username });
    const booked = {
      ...makeAppointment({
        facility: fA.id,
        provider: world.users.provA.id,
        patient: world.patients.pA.id,
      }),
      created_by: centralAdmin.id,
    };
    await central.store.write(async (tx) => {
      await tx.insertUser(centralAdmin);
      await tx.insertUser(centralStaff);
      await tx.insertAppointment(booked);
    });
    await edge.pull();
    expect((await edge.store.getUser(localAdmin.id))?.username).toBe(localAdmin.username);
    expect((await edge.store.getUser(localAdmin.id))?.password_hash).toBe(localAdmin.password_hash);
    expect((await edge.store.getUser(centralAdmin.id))?.username).toBe(
      `${localAdmin.username}~${centralAdmin.id}`,
    );
    expect((await edge.store.getAppointment(booked.id))?.created_by).toBe(centralAdmin.id);
    expect((await edge.store.getUser(centralStaff.id))?.username).toBe(localStaff.username);
    expect((await edge.store.getUser(localStaff.id))?.username).toBe(
      `${localStaff.username}~moved~${localStaff.id}`,
    );
  });

  it('takes the scope away: unlinked staff keep their row but lose the password hash', async () => {
    await edge.pull();
    const { provA } = world.users;
    // provA stays in scope (a1 at A) but is no longer staff of A.
    await central.store.write((tx) =>
      tx.updateUser({ ...provA, facilities: [world.facilities.fB.id], version: 2 }),
    );
    await edge.pull();
    const local = await edge.store.getUser(provA.id);
    expect(local?.password_hash).toBe('');
    expect(local?.facilities).toEqual([world.facilities.fB.id]);
  });

  it('brings the delivery history of the in-scope appointments, not queued rows or claims', async () => {
    const { a1, a3, a4 } = world.appointments;
    // History reaches a node for appointments that start at most 30 days ago (real time).
    const soon = Date.now() + 3_600_000;
    const current = (await central.store.getAppointment(a1.id, { includeDeleted: true }))!;
    await central.store.write((tx) =>
      tx.updateAppointment({
        ...current,
        start_time: soon,
        end_time: soon + 1_800_000,
        version: current.version + 1,
      }),
    );
    const inScope = makeNotification({ appointment_id: a1.id, reminder_for: soon });
    const outOfScope = makeNotification({ appointment_id: a4.id });
    // In scope, delivered, but of an appointment long past (the fixtures' 2025): central's.
    const old = makeNotification({ appointment_id: a3.id, status: 'sent', sent_at: FIXED_NOW });
    await central.store.write((tx) => tx.enqueueNotifications([inScope, outOfScope, old]));
    await edge.pull();
    // Queued rows stay with whoever delivers them.
    expect(edgeIds(edge, 'notifications')).toEqual([]);

    // Central's dispatcher claims it: a state of seconds that no node needs to see.
    await central.store.write((tx) =>
      tx.claimNotifications({
        owner: inScope.owner,
        channels: ['email'],
        now: FIXED_NOW,
        limit: 10,
      }),
    );
    const afterClaim = await edge.pull();
    expect(afterClaim.tables.notifications?.messages ?? 0).toBe(0);

    const sent = {
      ...inScope,
      status: 'sent' as const,
      attempts: 1,
      sent_at: FIXED_NOW + 1,
      updated_at: FIXED_NOW + 1,
    };
    await central.store.write((tx) => tx.updateNotification(sent));
    const afterSend = await edge.pull();
    expect(afterSend.tables.notifications?.applied).toBe(1);
    expect(await edge.store.getNotification(inScope.id)).toEqual(sent);
    expect(edgeIds(edge, 'notifications')).toEqual([inScope.id]);
  });
});

describe('parseTimestamptz', () => {
  it('reads PostgreSQL timestamptz text in any offset, to the millisecond', () => {
    const ms = Date.UTC(2025, 0, 6, 8, 0, 0, 123);
    expect(parseTimestamptz('2025-01-06 08:00:00.123+00')).toBe(ms);
    expect(parseTimestamptz('2025-01-06 08:00:00.123000+00')).toBe(ms);
    expect(parseTimestamptz('2025-01-06 11:00:00.123+03')).toBe(ms);
    expect(parseTimestamptz('2025-01-06 02:30:00.123-05:30')).toBe(ms);
    expect(parseTimestamptz('2025-01-06T08:00:00.123Z')).toBe(ms);
    expect(parseTimestamptz('2025-01-06 08:00:00+00')).toBe(ms - 123);
    expect(() => parseTimestamptz('infinity')).toThrow(PullError);
  });
});
