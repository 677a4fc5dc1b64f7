/**
 * A real `clinic central` / `clinic edge` process for the sync benchmark, started as
 * bench/lib/server.ts starts its servers (the `apps/cli/bin/clinic.js` bin on 127.0.0.1,
 * waiting for its "listening on" line, stopped by its pid), plus what sync needs and
 * server.ts does not take: extra flags (`--database-url`, `--central`, `--token`) and a
 * given port, so central can be restarted where its nodes expect it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { killChild, trackChild } from './cleanup';
import { captureOutput, freePort, REPO_ROOT, waitForListening } from './server';
import { trackSyncChild } from './sync-cleanup';

const CLI = 'apps/cli/bin/clinic.js';
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 120_000;

export interface ClinicOptions {
  role: 'edge' | 'central';
  dataDir: string;
  /** The port to listen on; a free one when absent. */
  port?: number;
  admin?: { username: string; password: string };
  /** More `clinic` flags, e.g. ['--database-url', url] or ['--central', url, '--token', t]. */
  args?: string[];
  /** Node flags (e.g. --cpu-prof): node then runs the bin with them. */
  nodeArgs?: string[];
  /** Written with --cpu-prof-dir when set. */
  cpuProfDir?: string;
  logLevel?: string;
}

export interface ClinicProcess {
  role: 'edge' | 'central';
  pid: number;
  port: number;
  url: string;
  /** performance.now() when the "listening on" line was read. */
  listeningAt: number;
  /** Date.now() at the same moment (to compare with the ISO times the API answers). */
  listeningWallMs: number;
  /** The command line as one would type it (throwaway passwords and tokens included). */
  command: string;
  output(): string;
  /** SIGTERM by pid, SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/** The child's environment: ours, minus what would override the flags. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of [
    'DATABASE_URL',
    'LOG_LEVEL',
    'CLINIC_ADMIN_USER',
    'CLINIC_ADMIN_PASSWORD',
    'CLINIC_NODE_TOKEN',
  ]) {
    delete env[key];
  }
  return env;
}

export async function startClinic(opts: ClinicOptions): Promise<ClinicProcess> {
  const port = opts.port ?? (await freePort());
  const args = [
    opts.role,
    '--host',
    HOST,
    '--port',
    String(port),
    '--data',
    opts.dataDir,
    ...(opts.admin
      ? ['--admin-user', opts.admin.username, '--admin-password', opts.admin.password]
      : []),
    '--log-level',
    opts.logLevel ?? 'warn',
    ...(opts.args ?? []),
  ];
  const nodeArgs = [...(opts.nodeArgs ?? [])];
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  // As server.ts: without node flags the bin runs as an executable (its shebang's runtime
  // settings included), as `npx clinic` would run it.
  const [command, argv] =
    nodeArgs.length === 0 ? [CLI, args] : [process.execPath, [...nodeArgs, CLI, ...args]];
  const child: ChildProcess = spawn(command, argv, {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  trackSyncChild(child);
  const output = captureOutput(child);
  // Shown as typed, except a password inside a database URL.
  const shown = args.map((a) => a.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, '$1:***@'));
  const commandLine = [command === CLI ? CLI : `node ${nodeArgs.join(' ')} ${CLI}`, ...shown].join(
    ' ',
  );

  const url = await waitForListening(child, opts.role, output, START_TIMEOUT_MS).catch(
    async (err: unknown) => {
      await killChild(child, 2_000);
      const e = err as Error;
      e.message += `\ncommand: ${commandLine}\n--- ${opts.role} output ---\n${output().slice(-4000)}`;
      throw e;
    },
  );

  return {
    role: opts.role,
    pid: child.pid as number,
    port,
    url,
    listeningAt: performance.now(),
    listeningWallMs: Date.now(),
    command: commandLine,
    output,
    stop: () => killChild(child),
  };
}
