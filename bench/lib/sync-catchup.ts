/**
 * Catch-up after a week offline: a real `clinic central` (PGlite, seeded) and a real
 * `clinic edge` enrolled with `--central URL --token T` (node token from POST
 * /api/v1/nodes/ as the admin).
 *
 * 1. Both start; the node pulls its scope (facilities, users with password hashes,
 *    patients, appointments). A provider of the node's facilities then logs in ON THE
 *    NODE with the password central knows: that is how we know the pull delivered.
 * 2. Central is stopped (SIGTERM by pid). The provider makes `writes` bookings through the
 *    node's own API (POST /api/v1/appointments/, free evening slots, a few keep-alive
 *    clients); each one is an outbox mutation the node cannot push.
 * 3. Central is restarted on the same port and data directory. Measured from its
 *    "listening" line until the node's GET /api/v1/sync/status/ shows pending_mutations 0
 *    and a last_success_at after the restart (polled every 100 ms), with the node's RSS
 *    (VmRSS of /proc/<pid>/status) sampled meanwhile. The time to the first push answered
 *    is shown apart: while offline the node retries every 15 s (sync/SPEC.md section 2),
 *    so up to 15 s of the catch-up is waiting for that timer.
 *
 * The node also gets a local admin (--admin-user), only to read its sync status before
 * any central user has arrived. With `seedEdgeDirectory` the directory rows (same ids as
 * central's) are copied into the node's SQLite before its first start instead of being
 * pulled: the push side of catch-up can then be measured while the pull side is missing.
 */
import { APPOINTMENT_TYPES, formatIsoDateTime } from '@clinic/domain';
import { openSqliteStore } from '@clinic/store-sqlite';
import { join } from 'node:path';
import { startClinic, type ClinicProcess } from './clinic-proc';
import { makeTempDir } from './cleanup';
import type { Shape } from './dataset';
import { log } from './log';
import { readPeakRssBytes, readRssBytes, sampleRss, type RssStats } from './proc';
import { PROVIDER_PASSWORD } from './seed';
import { freePort } from './server';
import type { CentralDb } from './sync-central-db';
import { jsonClient, loginJson, type JsonClient } from './sync-http';
import { EveningSlots, type NodeScope } from './sync-mutations';
import { CENTRAL_ADMIN, enrollNode } from './sync-reconcile';

const EDGE_ADMIN = { username: 'edge-bench-admin', password: 'edge-bench-admin-password' };
/** The node's database file in its data directory (apps/edge: EDGE_DB_FILE). */
const EDGE_DB_FILE = 'clinic.db';
const POLL_MS = 100;

export interface CatchupOptions {
  shape: Shape;
  day0: number;
  writes: number;
  nodeFacilities: number;
  /** First day (after day0) of the node's bookings: after every other stream's days. */
  firstDay: number;
  clients: number;
  /** Copy the directory into the node instead of pulling it (see the file header). */
  seedEdgeDirectory: boolean;
  /** How long the first pull may take. */
  initialSyncTimeoutMs: number;
  catchupTimeoutMs: number;
}

interface SyncStatus {
  online: boolean;
  pending_mutations: number;
  last_push_at: string | null;
  last_pull_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  rejected: { seq: number; code: string | null; message: string | null }[];
  open_conflicts: number;
}

export interface CatchupResult {
  database: string;
  directory: 'pulled from central' | 'copied into the node (pull bypassed)';
  centralCommand: string;
  edgeCommand: string;
  initialSyncSeconds: number;
  nodePatients: number;
  offline: {
    writes: number;
    errors: number;
    errorSamples: string[];
    seconds: number;
    writesPerSec: number;
    pendingAfter: number;
  };
  centralRestartMs: number;
  /** From central's "listening" line to pending 0 and a fresh last_success_at. */
  seconds: number;
  mutationsPerSec: number;
  /** From "listening" to the first status poll with fewer pending mutations. */
  firstPushSeconds: number;
  /** From that first answered push to done. */
  drainSeconds: number;
  drainMutationsPerSec: number;
  nodeRss: RssStats;
  nodeIdleRssBytes: number;
  nodePeakRssBytes: number;
  finalStatus: SyncStatus;
  centralLastAppliedSeq: number;
}

/** The node's status, read with any staff token of the node. */
async function status(e: JsonClient, token: string): Promise<SyncStatus> {
  const res = await e.call('GET', '/api/v1/sync/status/', undefined, token);
  if (res.status !== 200) throw new Error(`sync status: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as SyncStatus;
}

const brief = (s: SyncStatus) =>
  JSON.stringify({
    online: s.online,
    pending_mutations: s.pending_mutations,
    last_success_at: s.last_success_at,
    last_error: s.last_error,
    rejected: s.rejected.length,
  });

/** Copies facilities, the node's providers and patients (central's ids) into its SQLite. */
async function seedEdge(edgeDir: string, db: CentralDb, scope: NodeScope): Promise<void> {
  const store = openSqliteStore({ file: join(edgeDir, EDGE_DB_FILE) });
  try {
    await store.write(async (tx) => {
      for (const f of db.dir.facilities) await tx.insertFacility(f);
      for (const u of scope.providers) await tx.insertUser(u);
      for (const p of scope.patients) await tx.insertPatient(p);
    });
  } finally {
    await store.close();
  }
}

async function tryLogin(e: JsonClient, username: string, password: string) {
  try {
    return await loginJson(e, username, password);
  } catch {
    return undefined;
  }
}

export async function benchCatchup(db: CentralDb, opts: CatchupOptions): Promise<CatchupResult> {
  const scope = 'catch-up';
  const port = await freePort();
  const centralArgs = {
    role: 'central' as const,
    dataDir: db.dataDir,
    port,
    admin: CENTRAL_ADMIN,
    ...(db.databaseUrl && { args: ['--database-url', db.databaseUrl] }),
  };
  let central: ClinicProcess | undefined = await startClinic(centralArgs);
  log(scope, `central pid ${central.pid} on ${central.url}`);
  let edge: ClinicProcess | undefined;
  const c = jsonClient(central.url, 2);
  let e: JsonClient | undefined;
  try {
    const adminToken = await loginJson(c, CENTRAL_ADMIN.username, CENTRAL_ADMIN.password);
    const node = await enrollNode(
      c,
      adminToken,
      db,
      opts.shape,
      opts.nodeFacilities,
      'catch-up clinic',
    );
    const edgeDir = makeTempDir('sync-edge');
    if (opts.seedEdgeDirectory) {
      await seedEdge(edgeDir, db, node.scope);
      log(scope, 'directory copied into the node (--catchup-seed-edge): pull bypassed');
    }
    const t0 = performance.now();
    edge = await startClinic({
      role: 'edge',
      dataDir: edgeDir,
      admin: EDGE_ADMIN,
      args: ['--central', central.url, '--token', node.token],
    });
    log(scope, `node pid ${edge.pid} on ${edge.url}, enrolled as ${node.id}`);
    e = jsonClient(edge.url, opts.clients + 1);
    const edgeAdmin = await loginJson(e, EDGE_ADMIN.username, EDGE_ADMIN.password);

    // 1. The first sync: a provider of the node's facilities must be able to log in there.
    const provider = node.scope.providers[0];
    if (!provider) throw new Error('the node has no providers in scope');
    let providerToken: string | undefined;
    let last: SyncStatus | undefined;
    let patients = 0;
    const deadline = performance.now() + opts.initialSyncTimeoutMs;
    for (;;) {
      last = await status(e, edgeAdmin);
      providerToken ??= await tryLogin(e, provider.username, PROVIDER_PASSWORD);
      if (providerToken) {
        const res = await e.call('GET', '/api/v1/patients/?page_size=1', undefined, providerToken);
        patients = Number((res.body as { count?: number } | null)?.count ?? 0);
      }
      const synced = last.last_success_at !== null && last.pending_mutations === 0;
      if (synced && providerToken && patients >= node.scope.patients.length) break;
      if (synced && !providerToken) {
        throw new Error(
          `catch-up: the node completed a sync cycle (status ${brief(last)}) but provider ` +
            `${provider.username} cannot log in on it: the pull side did not deliver central's ` +
            'users/patients (sync/src/edge/puller.ts, apps/edge/src/edge-pull.ts and the shape ' +
            'server are not in place yet?). Without them the node cannot book. Run with ' +
            '--catchup-seed-edge to copy the directory into the node and measure the push side.',
        );
      }
      if (performance.now() > deadline) {
        throw new Error(
          `catch-up: no complete first sync after ${opts.initialSyncTimeoutMs / 1000}s ` +
            `(provider login: ${providerToken ? 'ok' : 'refused'}, patients on the node: ` +
            `${patients}/${node.scope.patients.length}, status ${brief(last)})`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const initialSyncSeconds = (performance.now() - t0) / 1000;
    log(
      scope,
      `first sync done in ${initialSyncSeconds.toFixed(1)}s (${patients} patients on the node)`,
    );

    // 2. Central goes away; the clinic keeps booking.
    await central.stop();
    central = undefined;
    log(scope, `central stopped; ${opts.writes} bookings on the node…`);
    const slots = new EveningSlots(node.scope, opts.day0, opts.firstDay);
    let made = 0;
    let errors = 0;
    const errorSamples: string[] = [];
    const tw = performance.now();
    const token = providerToken as string;
    const client = e;
    const worker = async () => {
      while (made < opts.writes) {
        made += 1;
        const s = slots.next();
        const res = await client.call(
          'POST',
          '/api/v1/appointments/',
          {
            patient: s.patient,
            provider: s.provider,
            facility: s.facility,
            appointment_type: APPOINTMENT_TYPES[made % APPOINTMENT_TYPES.length],
            reason: 'Booked while central was unreachable',
            start_time: formatIsoDateTime(s.start_time),
            end_time: formatIsoDateTime(s.end_time),
          },
          token,
        );
        if (res.status !== 201) {
          errors += 1;
          if (errorSamples.length < 5) {
            errorSamples.push(`${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: opts.clients }, () => worker()));
    const offlineSeconds = (performance.now() - tw) / 1000;
    const before = await status(e, edgeAdmin);
    log(
      scope,
      `${made - errors} bookings in ${offlineSeconds.toFixed(1)}s (${errors} errors); ` +
        `node status ${brief(before)}`,
    );
    for (const s of errorSamples) log(scope, `booking error: ${s}`);
    if (made - errors === 0) throw new Error(`catch-up: no booking succeeded on the node`);

    // 3. Central comes back on the same port and data directory.
    const nodeIdleRssBytes = readRssBytes(edge.pid) ?? 0;
    const rss = sampleRss(edge.pid, POLL_MS);
    const ts = performance.now();
    central = await startClinic(centralArgs);
    const centralRestartMs = central.listeningAt - ts;
    const listening = central.listeningAt;
    const since = Math.floor(central.listeningWallMs / 1000) * 1000;
    log(scope, `central restarted (pid ${central.pid}, ${centralRestartMs.toFixed(0)} ms)`);
    let firstPushAt: number | undefined;
    let done: SyncStatus | undefined;
    let lastLog = performance.now();
    const catchupDeadline = performance.now() + opts.catchupTimeoutMs;
    for (;;) {
      const s = await status(e, edgeAdmin);
      const now = performance.now();
      if (firstPushAt === undefined && s.pending_mutations < before.pending_mutations) {
        firstPushAt = now;
      }
      const fresh = s.last_success_at !== null && Date.parse(s.last_success_at) >= since;
      if (s.pending_mutations === 0 && fresh) {
        done = s;
        break;
      }
      if (now - lastLog > 2000) {
        lastLog = now;
        log(scope, `${((now - listening) / 1000).toFixed(1)}s: ${brief(s)}`);
      }
      if (now > catchupDeadline) {
        throw new Error(
          `catch-up: not done ${opts.catchupTimeoutMs / 1000}s after central restarted: ${brief(s)}`,
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const doneAt = performance.now();
    const nodeRss = rss.stop();
    const nodePeakRssBytes = readPeakRssBytes(edge.pid) ?? 0;
    const seconds = (doneAt - listening) / 1000;
    const first = firstPushAt ?? doneAt;
    const drainSeconds = (doneAt - first) / 1000;
    const pushed = before.pending_mutations;
    log(
      scope,
      `caught up ${pushed} mutations in ${seconds.toFixed(1)}s after central restarted ` +
        `(first push answered after ${((first - listening) / 1000).toFixed(1)}s)`,
    );
    const c2 = jsonClient(central.url, 1);
    let centralLastAppliedSeq = -1;
    try {
      const admin2 = await loginJson(c2, CENTRAL_ADMIN.username, CENTRAL_ADMIN.password);
      const res = await c2.call('GET', `/api/v1/nodes/${node.id}/`, undefined, admin2);
      centralLastAppliedSeq = Number((res.body as { last_applied_seq?: number }).last_applied_seq);
    } finally {
      c2.close();
    }
    return {
      database: db.label,
      directory: opts.seedEdgeDirectory
        ? 'copied into the node (pull bypassed)'
        : 'pulled from central',
      centralCommand: central.command,
      edgeCommand: edge.command,
      initialSyncSeconds,
      nodePatients: patients,
      offline: {
        writes: made - errors,
        errors,
        errorSamples,
        seconds: offlineSeconds,
        writesPerSec: (made - errors) / offlineSeconds,
        pendingAfter: before.pending_mutations,
      },
      centralRestartMs,
      seconds,
      mutationsPerSec: pushed / seconds,
      firstPushSeconds: (first - listening) / 1000,
      drainSeconds,
      drainMutationsPerSec: drainSeconds > 0 ? pushed / drainSeconds : Number.NaN,
      nodeRss,
      nodeIdleRssBytes,
      nodePeakRssBytes,
      finalStatus: done,
      centralLastAppliedSeq,
    };
  } catch (err) {
    for (const p of [edge, central]) {
      const out = p?.output().trim();
      if (p && out) (err as Error).message += `\n--- ${p.role} output ---\n${out.slice(-3000)}`;
    }
    throw err;
  } finally {
    c.close();
    e?.close();
    await edge?.stop();
    await central?.stop();
  }
}
