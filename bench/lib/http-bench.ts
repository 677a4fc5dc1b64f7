/**
 * One HTTP booking scenario against a seeded data directory: start the real server
 * process (edge or central) on it, log in as the admin its flags created, run the load
 * (POST /api/v1/appointments/, 201 expected), read its memory, stop it. With `cpuProfDir`
 * the server runs under `node --cpu-prof` and the profile is summarized after it exits;
 * `serverArgs` adds `clinic` flags, `afterLoad` runs between the load and the stop.
 */
import { mkdirSync } from 'node:fs';
import { bookingBody, type BookingPlan } from './dataset';
import { httpClient, login, runLoad, type LoadResult } from './load';
import { log } from './log';
import { readPeakRssBytes, readRssBytes } from './proc';
import { summarizeBusiestProfile, type ProfileSummary } from './profile';
import { REPO_ROOT, startServer, type ServerProcess } from './server';

export const BENCH_ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };

export interface HttpBenchOptions {
  role: 'edge' | 'central';
  dataDir: string;
  plan: BookingPlan;
  warmupMs: number;
  measureMs: number;
  cpuProfDir?: string;
  /** Extra node options for the server process. */
  nodeOptions?: string[];
  /** More `clinic` flags for the server process, e.g. ['--smtp-url', url]. */
  serverArgs?: string[];
  /** Called when the measured window opens and when it closes. */
  onWindow?: (edge: 'open' | 'close') => void;
  /** Runs after the load, before the server is stopped (e.g. to watch it finish work). */
  afterLoad?: (server: ServerProcess) => Promise<void>;
}

export interface HttpBenchResult extends LoadResult {
  serverCommand: string;
  startupMs: number;
  /** RSS after start and login, before any load. */
  idleRssBytes: number;
  /** VmHWM: the peak RSS over the server's whole life (start included). */
  peakRssBytes: number;
  /** SIGTERM to exit (SIGKILL after a 10 s grace). */
  stopMs: number;
  profile?: ProfileSummary;
}

export async function runHttpBench(opts: HttpBenchOptions): Promise<HttpBenchResult> {
  const scope = opts.role;
  const nodeArgs: string[] = [...(opts.nodeOptions ?? [])];
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const t0 = performance.now();
  const server = await startServer({
    role: opts.role,
    dataDir: opts.dataDir,
    admin: BENCH_ADMIN,
    nodeArgs,
    ...(opts.serverArgs && { extraArgs: opts.serverArgs }),
  });
  const startupMs = performance.now() - t0;
  log(scope, `server pid ${server.pid} listening on ${server.url} (${startupMs.toFixed(0)} ms)`);
  const client = httpClient(server.url, opts.plan.clients + 1);
  try {
    const token = await login(client, BENCH_ADMIN.username, BENCH_ADMIN.password);
    const idleRssBytes = readRssBytes(server.pid) ?? 0;
    log(
      scope,
      `logged in; ${opts.plan.clients} clients: ${opts.warmupMs / 1000}s warm-up + ` +
        `${opts.measureMs / 1000}s measured`,
    );
    const load = await runLoad({
      client,
      path: '/api/v1/appointments/',
      token,
      expectedStatus: 201,
      clients: opts.plan.clients,
      warmupMs: opts.warmupMs,
      measureMs: opts.measureMs,
      nextBody: (c) => bookingBody(opts.plan.next(c)),
      serverPid: server.pid,
      ...(opts.onWindow && { onWindow: opts.onWindow }),
    });
    const peakRssBytes = readPeakRssBytes(server.pid) ?? 0;
    log(
      scope,
      `${load.requests} requests measured (${load.errors} errors), ` +
        `${load.warmupRequests} in warm-up (${load.warmupErrors} errors)`,
    );
    log(scope, `completed per second (warm-up first): ${load.perSecond.join(' ')}`);
    for (const e of load.errorSamples) log(scope, `error: ${e}`);
    client.close();
    await opts.afterLoad?.(server);
    const stopping = performance.now();
    await server.stop();
    const stopMs = performance.now() - stopping;
    let profile: ProfileSummary | undefined;
    if (opts.cpuProfDir) {
      profile = summarizeBusiestProfile(opts.cpuProfDir, REPO_ROOT, 25);
      if (!profile) log(scope, `no .cpuprofile was written to ${opts.cpuProfDir}`);
    }
    return {
      ...load,
      serverCommand: server.command,
      startupMs,
      idleRssBytes,
      peakRssBytes,
      stopMs,
      ...(profile && { profile }),
    };
  } catch (err) {
    const output = server.output().trim();
    if (output) (err as Error).message += `\n--- ${opts.role} output ---\n${output.slice(-4000)}`;
    throw err;
  } finally {
    client.close();
    await server.stop();
  }
}
