/**
 * Runs a real `clinic edge` / `clinic central` server as a child process
 * (`apps/cli/bin/clinic.js <role> --port P --data DIR --admin-user U ...`) on
 * 127.0.0.1 and a free port picked here (the CLI would not report the port of
 * `--port 0`), waits for its "listening on" line, and stops it by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { killChild, trackChild } from './cleanup';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'apps/cli/bin/clinic.js';
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
const OUTPUT_LIMIT = 64 * 1024;

export interface ServerOptions {
  role: 'edge' | 'central';
  dataDir: string;
  admin: { username: string; password: string };
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** More `clinic` flags after the usual ones, e.g. ['--smtp-url', url]. */
  extraArgs?: string[];
}

export interface ServerProcess {
  role: 'edge' | 'central';
  pid: number;
  url: string;
  /** The command line, as one would type it (password shown: it is a throwaway). */
  command: string;
  /** The last 64 KB of the server's stdout and stderr. */
  output(): string;
  /** SIGTERM by pid, SIGKILL after a grace period; resolves when it has exited. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (bound and released by the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** The child's environment: ours, minus whatever would change what it runs. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // DATABASE_URL would make central use a PostgreSQL server instead of PGlite; the
  // others would override the flags below.
  for (const key of ['DATABASE_URL', 'LOG_LEVEL', 'CLINIC_ADMIN_USER', 'CLINIC_ADMIN_PASSWORD']) {
    delete env[key];
  }
  return env;
}

/** Keeps the last 64 KB of a child's stdout and stderr; returns a reader of it. */
export function captureOutput(child: ChildProcess): () => string {
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

/** Resolves with the URL of the server's "listening on" line; rejects on exit or timeout. */
export function waitForListening(
  child: ChildProcess,
  role: string,
  output: () => string,
  timeoutMs: number,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${role} did not start within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(output());
      if (m?.[1]) {
        done();
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      reject(new Error(`${role} exited during start (code ${code}, signal ${signal})`));
    };
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function startOnce(opts: ServerOptions, port: number): Promise<ServerProcess> {
  const args = [
    opts.role,
    '--host',
    HOST,
    '--port',
    String(port),
    '--data',
    opts.dataDir,
    '--admin-user',
    opts.admin.username,
    '--admin-password',
    opts.admin.password,
    '--log-level',
    'info',
    ...(opts.extraArgs ?? []),
  ];
  // Without --node-option the server starts exactly as `npx clinic` does: the bin as an
  // executable, so its shebang's runtime settings (V8 young generation, malloc arenas)
  // are what is measured. With --node-option, node runs the bin with those flags instead.
  const nodeArgs = opts.nodeArgs ?? [];
  const [command, argv] =
    nodeArgs.length === 0 ? [CLI, args] : [process.execPath, [...nodeArgs, CLI, ...args]];
  const child: ChildProcess = spawn(command, argv, {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const output = captureOutput(child);
  const url = await waitForListening(child, opts.role, output, START_TIMEOUT_MS).catch(
    async (err: unknown) => {
      await killChild(child, 2_000);
      throw Object.assign(err as Error, { serverOutput: output() });
    },
  );

  return {
    role: opts.role,
    pid: child.pid as number,
    url,
    command: [command === CLI ? CLI : `node ${nodeArgs.join(' ')} ${CLI}`, ...args].join(' '),
    output,
    stop: () => killChild(child),
  };
}

/** Starts the server on a free port (retrying if another process took the port first). */
export async function startServer(opts: ServerOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(opts, await freePort());
    } catch (err) {
      const output = (err as { serverOutput?: string }).serverOutput ?? '';
      if (attempt < 3 && output.includes('EADDRINUSE')) continue;
      if (output) (err as Error).message += `\n--- ${opts.role} output ---\n${output}`;
      throw err;
    }
  }
}
