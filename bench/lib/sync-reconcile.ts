/**
 * Central reconcile throughput: a real `clinic central` process on a seeded database
 * (bench/lib/sync-central-db.ts), a node enrolled as the admin (POST /api/v1/nodes/) for
 * some facilities, then the node's mutations (bench/lib/sync-mutations.ts) pushed through
 * the real endpoint (POST /sync/v3/push, node token, batches of 200, one batch at a time
 * as a node pushes), measuring mutations answered per second.
 *
 * One batch is pushed first as a warm-up (not measured: the JIT and the database caches
 * of a freshly started process). The measured window runs from sending the first measured
 * batch to the last answer. Every answer is counted by outcome; the server's CPU time and
 * RSS are read from /proc.
 */
import { MAX_PUSH_BATCH, PROTOCOL_VERSION, type PushResult } from '@clinic/sync';
import { createUuidV7Generator } from '@clinic/domain';
import { startClinic } from './clinic-proc';
import type { Shape } from './dataset';
import { log } from './log';
import { readCpuMs, readPeakRssBytes, sampleRss, type RssStats } from './proc';
import { summarizeBusiestProfile, type ProfileSummary } from './profile';
import { REPO_ROOT } from './server';
import { summarize, type LatencySummary } from './stats';
import type { CentralDb } from './sync-central-db';
import { jsonClient, loginJson, type JsonClient } from './sync-http';
import {
  MutationPlan,
  nodeScope,
  type AppointmentPut,
  type MutationIntent,
  type NodeScope,
} from './sync-mutations';

export const CENTRAL_ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };

export interface ReconcileOptions {
  shape: Shape;
  day0: number;
  mutations: number;
  /** How many of the directory's facilities the node is enrolled for. */
  nodeFacilities: number;
  warmupBatches: number;
  cpuProfDir?: string | undefined;
}

export interface ReconcileResult {
  database: string;
  serverCommand: string;
  startupMs: number;
  node: { id: string; facilities: number; providers: number; patients: number };
  warmup: { mutations: number; seconds: number };
  mutations: number;
  batches: number;
  seconds: number;
  /** Mutations answered applied / applied_with_conflict / rejected, per second. */
  mutationsPerSec: number;
  outcomes: Record<string, number>;
  rejectedSamples: string[];
  intents: Record<MutationIntent, number>;
  batchLatency: LatencySummary;
  /** Mutations per second of each measured batch. */
  perBatchRate: number[];
  wire: {
    requestBytesPerMutation: number;
    responseBytesPerMutation: number;
    responsePlainBytesPerMutation: number;
    responseEncoding: string;
  };
  lastAppliedSeq: number;
  conflicts: { open: number; resolved: number };
  serverCpuMsPerMutation: number;
  serverCpuCores: number;
  serverRss: RssStats;
  serverPeakRssBytes: number;
  profile?: ProfileSummary;
}

async function countConflicts(c: JsonClient, token: string, status: string): Promise<number> {
  const res = await c.call(
    'GET',
    `/api/v1/conflicts/?status=${status}&page_size=1`,
    undefined,
    token,
  );
  return res.status === 200 ? Number((res.body as { count: number }).count) : -1;
}

export interface EnrolledNode {
  id: string;
  token: string;
  scope: NodeScope;
}

/** POST /api/v1/nodes/ as the admin, for the first `facilities` facilities. */
export async function enrollNode(
  c: JsonClient,
  adminToken: string,
  db: CentralDb,
  shape: Shape,
  facilities: number,
  name: string,
): Promise<EnrolledNode> {
  const scope = nodeScope(db.dir, shape, facilities);
  const res = await c.call(
    'POST',
    '/api/v1/nodes/',
    { name, facilities: scope.facilities },
    adminToken,
  );
  if (res.status !== 201) throw new Error(`enrollment: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { id: string; token: string };
  return { id: body.id, token: body.token, scope };
}

export async function benchReconcile(
  db: CentralDb,
  opts: ReconcileOptions,
): Promise<{ result: ReconcileResult; plan: MutationPlan }> {
  const scope = `reconcile ${db.kind}`;
  const t0 = performance.now();
  const central = await startClinic({
    role: 'central',
    dataDir: db.dataDir,
    admin: CENTRAL_ADMIN,
    ...(db.databaseUrl && { args: ['--database-url', db.databaseUrl] }),
    ...(opts.cpuProfDir && { cpuProfDir: opts.cpuProfDir }),
  });
  const startupMs = performance.now() - t0;
  log(scope, `central pid ${central.pid} listening on ${central.url} (${startupMs.toFixed(0)} ms)`);
  const c = jsonClient(central.url, 2);
  try {
    const adminToken = await loginJson(c, CENTRAL_ADMIN.username, CENTRAL_ADMIN.password);
    const node = await enrollNode(c, adminToken, db, opts.shape, opts.nodeFacilities, 'bench node');
    log(
      scope,
      `node ${node.id} enrolled for ${node.scope.facilities.length} facilities ` +
        `(${node.scope.providers.length} providers, ${node.scope.patients.length} patients)`,
    );
    const plan = new MutationPlan({
      nodeId: node.id,
      scope: node.scope,
      shape: opts.shape,
      day0: opts.day0,
      firstDay: 0,
      ids: createUuidV7Generator({ now: () => Date.now() }),
    });
    const warmupCount = opts.warmupBatches * MAX_PUSH_BATCH;
    const warm = plan.take(warmupCount);
    const intentsBefore = { ...plan.intents };
    const measured = plan.take(opts.mutations);
    const intents = Object.fromEntries(
      Object.entries(plan.intents).map(([k, v]) => [k, v - intentsBefore[k as MutationIntent]]),
    ) as Record<MutationIntent, number>;
    const outcomes: Record<string, number> = {};
    const rejectedSamples: string[] = [];
    let requestBytes = 0;
    let responseBytes = 0;
    let responsePlainBytes = 0;
    let encoding = '';
    const push = async (batch: AppointmentPut[], backlog: number) => {
      const res = await c.call(
        'POST',
        `/sync/v${PROTOCOL_VERSION}/push`,
        { protocol_version: PROTOCOL_VERSION, node_id: node.id, backlog, mutations: batch },
        node.token,
      );
      if (res.status !== 200) {
        throw new Error(`push answered ${res.status}: ${JSON.stringify(res.body).slice(0, 2000)}`);
      }
      return { res, results: (res.body as { results: PushResult[] }).results };
    };

    const tw = performance.now();
    for (let i = 0; i < warm.length; i += MAX_PUSH_BATCH) {
      await push(warm.slice(i, i + MAX_PUSH_BATCH), warm.length + measured.length - i);
    }
    const warmupSeconds = (performance.now() - tw) / 1000;
    if (warmupCount > 0) {
      log(
        scope,
        `warm-up: ${warmupCount} mutations in ${warmupSeconds.toFixed(1)}s (not measured)`,
      );
    }

    const rss = sampleRss(central.pid, 100);
    const cpu0 = readCpuMs(central.pid) ?? 0;
    const latencies: number[] = [];
    const perBatchRate: number[] = [];
    let answered = 0;
    const start = performance.now();
    for (let i = 0; i < measured.length; i += MAX_PUSH_BATCH) {
      const batch = measured.slice(i, i + MAX_PUSH_BATCH);
      const tb = performance.now();
      const { res, results } = await push(batch, measured.length - i);
      const ms = performance.now() - tb;
      latencies.push(ms);
      requestBytes += res.requestBytes;
      responseBytes += res.responseBytes;
      responsePlainBytes += res.responsePlainBytes;
      encoding = res.encoding;
      for (const r of results) {
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        if (r.outcome !== 'deferred') answered += 1;
        if (r.outcome === 'rejected' && rejectedSamples.length < 5) {
          rejectedSamples.push(`seq ${r.seq}: ${r.code ?? ''} ${r.message ?? ''}`);
        }
      }
      perBatchRate.push(Math.round((batch.length / ms) * 1000));
      log(
        scope,
        `pushed ${Math.min(i + MAX_PUSH_BATCH, measured.length)}/${measured.length} ` +
          `(${((batch.length / ms) * 1000).toFixed(0)} mutations/s this batch)`,
      );
    }
    const seconds = (performance.now() - start) / 1000;
    const cpuMs = (readCpuMs(central.pid) ?? cpu0) - cpu0;
    const serverRss = rss.stop();
    const serverPeakRssBytes = readPeakRssBytes(central.pid) ?? 0;

    const nodeRes = await c.call('GET', `/api/v1/nodes/${node.id}/`, undefined, adminToken);
    const lastAppliedSeq = Number((nodeRes.body as { last_applied_seq?: number }).last_applied_seq);
    const conflicts = {
      open: await countConflicts(c, adminToken, 'open'),
      resolved: await countConflicts(c, adminToken, 'resolved'),
    };
    c.close();
    await central.stop();
    let profile: ProfileSummary | undefined;
    if (opts.cpuProfDir) {
      profile = summarizeBusiestProfile(opts.cpuProfDir, REPO_ROOT, 25);
      if (!profile) log(scope, `no .cpuprofile in ${opts.cpuProfDir}`);
    }
    const n = measured.length;
    return {
      plan,
      result: {
        database: db.label,
        serverCommand: central.command,
        startupMs,
        node: {
          id: node.id,
          facilities: node.scope.facilities.length,
          providers: node.scope.providers.length,
          patients: node.scope.patients.length,
        },
        warmup: { mutations: warmupCount, seconds: warmupSeconds },
        mutations: n,
        batches: latencies.length,
        seconds,
        mutationsPerSec: answered / seconds,
        outcomes,
        rejectedSamples,
        intents,
        batchLatency: summarize(latencies),
        perBatchRate,
        wire: {
          requestBytesPerMutation: n ? requestBytes / n : 0,
          responseBytesPerMutation: n ? responseBytes / n : 0,
          responsePlainBytesPerMutation: n ? responsePlainBytes / n : 0,
          responseEncoding: encoding,
        },
        lastAppliedSeq,
        conflicts,
        serverCpuMsPerMutation: n ? cpuMs / n : 0,
        serverCpuCores: cpuMs / 1000 / seconds,
        serverRss,
        serverPeakRssBytes,
        ...(profile && { profile }),
      },
    };
  } catch (err) {
    const out = central.output().trim();
    if (out) (err as Error).message += `\n--- central output ---\n${out.slice(-4000)}`;
    throw err;
  } finally {
    c.close();
    await central.stop();
  }
}
