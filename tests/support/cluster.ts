/**
 * Central plus N clinic nodes as real `clinic` processes, for sync tests that need the
 * real thing: separate processes and databases, real HTTP, crashes by SIGKILL, and a
 * network that fails. Each edge reaches central through its own cut-and-heal TCP proxy,
 * so one clinic can drop offline while the others stay connected.
 *
 * One `createCluster()` per test file; `afterAll(() => cluster.stopAll())` ends every
 * process it started (by PID), closes every proxy and removes every temporary directory
 * it made. Everything binds 127.0.0.1 on free ports.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { freePort, http, runClinic, type ClinicProcess } from './clinic-process';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { makeTempDir, type TempDir } from './tmp-dir';

/** A JSON response; bodies are asserted field by field, as in the other real-process tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** `GET /api/v1/sync/status/` on an edge (docs: DESIGN.md, "Public interface"). */
export interface SyncStatus {
  online: boolean;
  pending_mutations: number;
  last_push_at: string | null;
  last_pull_at: string | null;
  last_error: string | null;
}

type Role = 'central' | 'edge';

/** Options shared by central and edge processes. */
export interface ProcessOptions {
  /** Defaults to a fresh temporary directory, removed by `stopAll()`. */
  dataDir?: string;
  /** Defaults to a free port (picked again if it is taken before the server binds). */
  port?: number;
  /** Appended to the command line, e.g. `['--log-level', 'debug']`. */
  extraArgs?: string[];
  /** Extra environment variables for the process. */
  env?: Record<string, string>;
  /** How long to wait for `GET /healthz` to answer 200; default 60 s. */
  startTimeoutMs?: number;
}

export interface RestartOptions {
  /** Move to another port (default: the same one). Proxies made for this server follow. */
  port?: number;
  extraArgs?: string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

/** A server started by the cluster. `process` and `port` change when it is restarted. */
export interface ClinicServer {
  readonly role: Role;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The current run. */
  readonly process: ClinicProcess;
  /** Whether the current run is still alive. */
  readonly running: boolean;
  /** Output of every run so far, oldest first. */
  output(): string;
  /** JSON over real HTTP to this server; `path` starts with `/`. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiResponse>;
  /** Logs in; resolves with the access token, rejects unless the answer is 200. */
  login(username: string, password: string): Promise<string>;
  /** Signals the process (SIGTERM by default; SIGKILL after 15 s) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /** SIGKILL: a power cut. Resolves once the process is gone. */
  kill(): Promise<number | string>;
}

export interface CentralServer extends ClinicServer {
  readonly role: 'central';
  readonly admin: { username: string; password: string };
  /** An access token of the admin (cached for a minute; a fresh login after a restart). */
  adminToken(): Promise<string>;
  /** Stops it if running, then starts it again on the same data dir (and port). */
  restart(options?: RestartOptions): Promise<CentralServer>;
}

export interface EdgeServer extends ClinicServer {
  readonly role: 'edge';
  /** The proxy this edge reaches central through, when the cluster made one for it. */
  readonly proxy: TcpProxy | undefined;
  /** The `--central` URL it was first started with. */
  readonly centralUrl: string;
  /** `POST /api/v1/sync/run/`: one push+pull now (503 when central is unreachable). */
  syncRun(token: string): Promise<ApiResponse>;
  /** `GET /api/v1/sync/status/`; `body` has the SyncStatus shape when `status` is 200. */
  syncStatus(token: string): Promise<ApiResponse<SyncStatus>>;
  /** Stops it if running, then starts it with only `--port P --data DIR` (no --central/--token). */
  restart(options?: RestartOptions): Promise<EdgeServer>;
}

/** An edge the cluster put behind its own proxy to central. */
export type ProxiedEdge = EdgeServer & { readonly proxy: TcpProxy };

export interface CentralOptions extends ProcessOptions {
  /** Admin created on first start; defaults to `admin` and a random password. */
  adminUser?: string;
  adminPassword?: string;
}

export interface EdgeOptions extends ProcessOptions {
  /**
   * A central server: the cluster starts a proxy to it for this edge (`edge.proxy`).
   * A URL string is used as is (e.g. the URL of a proxy you made with `proxyTo`).
   */
  central: CentralServer | string;
  /** The enrollment token from `enrollNode`. */
  token: string;
}

/** `POST /api/v1/nodes/` on central. */
export interface EnrolledNode {
  id: string;
  name: string;
  facilities: string[];
  /** Given once: the edge's `--token`. */
  token: string;
}

const STOP_GRACE_MS = 15_000;
const ADMIN_TOKEN_TTL_MS = 60_000;

function describeResponse(what: string, res: ApiResponse): Error {
  return new Error(`${what}: HTTP ${res.status} ${inspect(res.body, { depth: 6 })}`);
}

/** Waits for `promise`, or gives up after `ms` with `fallback`. Never leaves a rejection unhandled. */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export interface WaitOptions {
  /** Default 30 s. An attempt still running at the deadline counts as a failure. */
  timeoutMs?: number;
  /** Pause between attempts; default 200 ms. */
  intervalMs?: number;
  /** Said first in the error when the condition never held. */
  message: string;
}

/**
 * Calls `fn` until it returns a truthy value, and resolves with that value. A throw counts
 * as "not yet". On timeout, rejects with `message`, the number of attempts and the last
 * value (or error) seen.
 */
export async function waitUntil<T>(
  fn: () => T | Promise<T>,
  options: WaitOptions,
): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  const STILL_RUNNING = Symbol('still running at the deadline');
  let last: unknown = '(no attempt finished)';
  let attempts = 0;
  let hung = false;
  for (;;) {
    attempts += 1;
    try {
      const value = await within(Promise.resolve().then(fn), deadline - Date.now(), STILL_RUNNING);
      if (value === STILL_RUNNING) {
        hung = true;
        break;
      }
      if (value) return value as Truthy<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    // The last pause ends at the deadline, and one last attempt follows it.
    await sleep(Math.min(intervalMs, remaining));
  }
  const lastSeen = inspect(last, { depth: 6, breakLength: 120 });
  const note = hung ? '; the last attempt was still running at the deadline' : '';
  throw new Error(
    `${options.message} (not true after ${timeoutMs} ms, ${attempts} attempts${note}; last value: ${lastSeen})`,
  );
}

/** Resolves once `GET /healthz` answers 200 with this role; rejects if the process ends first. */
async function waitHealthy(
  proc: ClinicProcess,
  url: string,
  role: Role,
  timeoutMs: number,
): Promise<void> {
  const EXITED = Symbol('exited');
  const exited = proc.exited.then(() => EXITED);
  const deadline = Date.now() + timeoutMs;
  let last: unknown = '(no answer yet)';
  while (Date.now() < deadline) {
    const res = await Promise.race([
      within(http('GET', `${url}/healthz`), 2_000, 'no answer within 2 s').catch(
        (err: unknown) => err,
      ),
      exited,
    ]);
    if (res === EXITED) {
      throw new Error(
        `clinic ${role} exited (${String(await proc.exited)}) before ${url}/healthz answered:\n${proc.output()}`,
      );
    }
    if (typeof res === 'object' && res !== null && 'status' in res) {
      const { status, body } = res as ApiResponse;
      if (status === 200 && body?.role === role) return;
      if (status === 200) {
        throw new Error(`${url}/healthz answered for a ${String(body?.role)}, not our ${role}`);
      }
    }
    last = res;
    await Promise.race([sleep(100), exited]);
  }
  throw new Error(
    `clinic ${role} did not answer ${url}/healthz within ${timeoutMs} ms (last: ${inspect(last)}):\n${proc.output()}`,
  );
}

/** Lets a cluster's servers register processes and temporary directories for `stopAll()`. */
interface Registry {
  track(proc: ClinicProcess): void;
  tempDir(prefix: string): Promise<string>;
}

abstract class Server implements ClinicServer {
  abstract readonly role: Role;
  process!: ClinicProcess;
  port = 0;
  private readonly runs: ClinicProcess[] = [];

  constructor(
    protected readonly registry: Registry,
    readonly dataDir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    const child = this.process.child;
    return child.exitCode === null && child.signalCode === null;
  }

  /** The command line of one run on `port`. */
  protected abstract args(port: number, first: boolean): string[];

  /** Starts one run; picks another free port if an unpinned one was taken meanwhile. */
  protected async launch(
    options: { port?: number; env?: Record<string, string>; startTimeoutMs?: number },
    first: boolean,
  ): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const port = options.port ?? (await freePort());
      const proc = runClinic(this.args(port, first), options.env ?? {});
      this.registry.track(proc);
      this.runs.push(proc);
      this.process = proc;
      this.port = port;
      try {
        await waitHealthy(proc, this.url, this.role, options.startTimeoutMs ?? 60_000);
        return;
      } catch (err) {
        proc.kill('SIGKILL');
        await proc.exited;
        const portTaken = /EADDRINUSE|in use/.test(proc.output());
        if (options.port !== undefined || !portTaken || attempt >= 3) throw err;
      }
    }
  }

  output(): string {
    return this.runs
      .map((p, i) => `----- ${this.role} run ${i + 1} (pid ${p.child.pid}) -----\n${p.output()}`)
      .join('\n');
  }

  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiResponse> {
    return http(method, `${this.url}${path}`, body, token);
  }

  async login(username: string, password: string): Promise<string> {
    const res = await this.api('POST', '/api/v1/auth/token/', { username, password });
    if (res.status !== 200 || typeof res.body?.access !== 'string') {
      throw describeResponse(`login of ${username} on ${this.role} ${this.url}`, res);
    }
    return res.body.access as string;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    const proc = this.process;
    proc.kill(signal);
    const GRACE_OVER = Symbol('grace over');
    const result = await within(proc.exited, STOP_GRACE_MS, GRACE_OVER);
    if (result !== GRACE_OVER) return result;
    proc.kill('SIGKILL');
    return proc.exited;
  }

  kill(): Promise<number | string> {
    return this.stop('SIGKILL');
  }
}

class Central extends Server implements CentralServer {
  readonly role = 'central' as const;
  /** Proxies made for edges: re-pointed when central moves to another port. */
  readonly proxies = new Set<TcpProxy>();
  private token: { value: string; at: number } | undefined;

  constructor(
    registry: Registry,
    dataDir: string,
    readonly admin: { username: string; password: string },
    private extraArgs: string[],
  ) {
    super(registry, dataDir);
  }

  protected args(port: number): string[] {
    return [
      'central',
      '--port',
      String(port),
      '--data',
      this.dataDir,
      '--admin-user',
      this.admin.username,
      '--admin-password',
      this.admin.password,
      ...this.extraArgs,
    ];
  }

  async start(options: ProcessOptions): Promise<this> {
    await this.launch(options, true);
    return this;
  }

  async adminToken(): Promise<string> {
    if (this.token && Date.now() - this.token.at < ADMIN_TOKEN_TTL_MS) return this.token.value;
    const value = await this.login(this.admin.username, this.admin.password);
    this.token = { value, at: Date.now() };
    return value;
  }

  async restart(options: RestartOptions = {}): Promise<this> {
    if (this.running) await this.stop();
    this.token = undefined;
    if (options.extraArgs) this.extraArgs = options.extraArgs;
    await this.launch({ ...options, port: options.port ?? this.port }, false);
    for (const proxy of this.proxies) proxy.setTarget(this.port);
    return this;
  }
}

class Edge extends Server implements EdgeServer {
  readonly role = 'edge' as const;

  constructor(
    registry: Registry,
    dataDir: string,
    readonly centralUrl: string,
    private readonly enrollToken: string,
    readonly proxy: TcpProxy | undefined,
    private extraArgs: string[],
  ) {
    super(registry, dataDir);
  }

  protected args(port: number, first: boolean): string[] {
    const base = ['edge', '--port', String(port), '--data', this.dataDir];
    const enroll = first ? ['--central', this.centralUrl, '--token', this.enrollToken] : [];
    return [...base, ...enroll, ...this.extraArgs];
  }

  async start(options: ProcessOptions): Promise<this> {
    await this.launch(options, true);
    return this;
  }

  syncRun(token: string): Promise<ApiResponse> {
    return this.api('POST', '/api/v1/sync/run/', {}, token);
  }

  syncStatus(token: string): Promise<ApiResponse<SyncStatus>> {
    return this.api('GET', '/api/v1/sync/status/', undefined, token);
  }

  async restart(options: RestartOptions = {}): Promise<this> {
    if (this.running) await this.stop();
    if (options.extraArgs) this.extraArgs = options.extraArgs;
    await this.launch({ ...options, port: options.port ?? this.port }, false);
    return this;
  }
}

export interface Cluster {
  /** `clinic central` with an admin; resolves once `/healthz` answers 200. */
  startCentral(options?: CentralOptions): Promise<CentralServer>;
  /**
   * `clinic edge --central URL --token T`; resolves once `/healthz` answers 200. Given a
   * central server (not a URL), the edge gets its own proxy to it: `edge.proxy`.
   */
  startEdge(options: EdgeOptions & { central: CentralServer }): Promise<ProxiedEdge>;
  startEdge(options: EdgeOptions): Promise<EdgeServer>;
  /** Same as `edge.restart()`: only `--port P --data DIR`, same port and data dir. */
  restartEdge(edge: EdgeServer, options?: RestartOptions): Promise<EdgeServer>;
  /** A new proxy to central (followed when central restarts on another port). */
  proxyTo(central: CentralServer): Promise<TcpProxy>;
  /** A temporary directory removed by `stopAll()`. */
  tempDir(prefix?: string): Promise<string>;
  /** Output of every server started so far, labelled: print it when a test fails. */
  logs(): string;
  /** SIGKILLs every process still running (by PID), closes every proxy, removes temp dirs. */
  stopAll(): Promise<void>;
}

/** A fresh cluster; end it with `afterAll(() => cluster.stopAll())`. */
export function createCluster(): Cluster {
  const procs = new Set<ClinicProcess>();
  const proxies = new Set<TcpProxy>();
  const dirs: TempDir[] = [];
  const servers: Server[] = [];
  const registry: Registry = {
    track: (proc) => procs.add(proc),
    async tempDir(prefix) {
      const dir = await makeTempDir(prefix);
      dirs.push(dir);
      return dir.path;
    },
  };

  const proxyTo = async (central: CentralServer): Promise<TcpProxy> => {
    const proxy = await startTcpProxy({ targetPort: central.port });
    proxies.add(proxy);
    if (central instanceof Central) central.proxies.add(proxy);
    return proxy;
  };

  async function startEdge(options: EdgeOptions): Promise<EdgeServer> {
    const proxy = typeof options.central === 'string' ? undefined : await proxyTo(options.central);
    const centralUrl = typeof options.central === 'string' ? options.central : proxy!.url;
    const dataDir = options.dataDir ?? (await registry.tempDir('clinic-edge'));
    const edge = new Edge(
      registry,
      dataDir,
      centralUrl,
      options.token,
      proxy,
      options.extraArgs ?? [],
    );
    servers.push(edge);
    return edge.start(options);
  }

  return {
    async startCentral(options: CentralOptions = {}) {
      const dataDir = options.dataDir ?? (await registry.tempDir('clinic-central'));
      const admin = {
        username: options.adminUser ?? 'admin',
        password: options.adminPassword ?? `admin-${randomBytes(8).toString('hex')}`,
      };
      const central = new Central(registry, dataDir, admin, options.extraArgs ?? []);
      servers.push(central);
      return central.start(options);
    },
    startEdge: startEdge as Cluster['startEdge'],
    restartEdge: (edge, options) => edge.restart(options),
    proxyTo,
    tempDir: (prefix = 'clinic-cluster') => registry.tempDir(prefix),
    logs: () => servers.map((s) => s.output()).join('\n'),
    async stopAll() {
      const errors: unknown[] = [];
      for (const proc of procs) proc.kill('SIGKILL');
      await Promise.all([...procs].map((proc) => proc.exited));
      procs.clear();
      for (const result of await Promise.allSettled([...proxies].map((p) => p.close()))) {
        if (result.status === 'rejected') errors.push(result.reason);
      }
      proxies.clear();
      for (const result of await Promise.allSettled(dirs.splice(0).map((d) => d.cleanup()))) {
        if (result.status === 'rejected') errors.push(result.reason);
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cluster cleanup failed');
    },
  };
}

/** `POST /api/v1/nodes/` as the admin: registers a clinic node for `facilities`. */
export async function enrollNode(
  central: CentralServer,
  node: { name: string; facilities: string[] },
): Promise<EnrolledNode> {
  const res = await central.api('POST', '/api/v1/nodes/', node, await central.adminToken());
  if (res.status !== 201 || typeof res.body?.id !== 'string' || typeof res.body?.token !== 'string')
    throw describeResponse(`enrolling node ${node.name}`, res);
  return {
    id: res.body.id as string,
    name: (res.body.name as string | undefined) ?? node.name,
    facilities: (res.body.facilities as string[] | undefined) ?? node.facilities,
    token: res.body.token as string,
  };
}

/** Reference rows made by `seedRegion` (all created on central by the admin). */
export interface Region {
  /** Two facilities (Africa/Nairobi and Africa/Kampala). */
  facilities: [{ id: string; name: string }, { id: string; name: string }];
  /** A doctor working at both facilities. */
  provider: { id: string; username: string; password: string };
  /** patients[i] is registered at facilities[i]. */
  patients: [{ id: string; patient_id: string }, { id: string; patient_id: string }];
}

let regions = 0;

/**
 * Creates two facilities, a provider working at both and a patient registered at each,
 * with names unique to this call (so tests sharing a central never share rows).
 */
export async function seedRegion(
  central: CentralServer,
  options: { capacity?: number } = {},
): Promise<Region> {
  regions += 1;
  const tag = `${Date.now().toString(36)}${regions}`;
  const token = await central.adminToken();
  const create = async (path: string, body: Record<string, unknown>) => {
    const res = await central.api('POST', path, body, token);
    if (res.status !== 201 || typeof res.body?.id !== 'string')
      throw describeResponse(`POST ${path} on central`, res);
    return res.body as { id: string } & Record<string, unknown>;
  };

  const facility = (name: string, timezone: string) =>
    create('/api/v1/facilities/', {
      name,
      timezone,
      capacity: options.capacity ?? 1,
      is_active: true,
    });
  const a = await facility(`Clinic ${tag} A`, 'Africa/Nairobi');
  const b = await facility(`Clinic ${tag} B`, 'Africa/Kampala');
  const provider = {
    username: `dr.${tag}`,
    password: `provider-${tag}-pw`,
  };
  const user = await create('/api/v1/users/', {
    ...provider,
    role: 'provider',
    user_type: 'doctor',
    first_name: 'Amina',
    last_name: `Doctor${tag}`,
    email: `dr.${tag}@example.org`,
    phone_number: '+254700000001',
    facilities: [a.id, b.id],
    is_active: true,
  });
  const patient = (n: 1 | 2, facility: string) =>
    create('/api/v1/patients/', {
      patient_id: `MRN-${tag}-${n}`,
      first_name: n === 1 ? 'Wanjiru' : 'Okello',
      last_name: `Patient${tag}`,
      phone_number: `+25470000010${n}`,
      email: `patient${n}.${tag}@example.org`,
      registered_facility: facility,
      is_active: true,
    });
  const p1 = await patient(1, a.id);
  const p2 = await patient(2, b.id);
  return {
    facilities: [
      { id: a.id, name: String(a.name) },
      { id: b.id, name: String(b.name) },
    ],
    provider: { id: user.id, ...provider },
    patients: [
      { id: p1.id, patient_id: String(p1.patient_id) },
      { id: p2.id, patient_id: String(p2.patient_id) },
    ],
  };
}

/**
 * A booking body for `POST /api/v1/appointments/`: the region's provider with
 * `patients[facility]` at `facilities[facility]`, `hoursAhead` from now (whole minutes).
 */
export function appointmentBody(
  region: Region,
  options: { facility?: 0 | 1; hoursAhead?: number; minutes?: number; reason?: string } = {},
): Record<string, string> {
  const i = options.facility ?? 0;
  const minute = 60_000;
  const start =
    Math.ceil((Date.now() + (options.hoursAhead ?? 24) * 60 * minute) / minute) * minute;
  return {
    patient: region.patients[i].id,
    provider: region.provider.id,
    facility: region.facilities[i].id,
    appointment_type: 'consultation',
    reason: options.reason ?? 'Follow-up',
    start_time: new Date(start).toISOString(),
    end_time: new Date(start + (options.minutes ?? 30) * minute).toISOString(),
  };
}

/** Logs `user` in on the node once central's users have reached it; the access token. */
export function loginWhenSynced(
  edge: EdgeServer,
  user: { username: string; password: string },
): Promise<string> {
  return waitUntil(
    async () => {
      const res = await edge.api('POST', '/api/v1/auth/token/', {
        username: user.username,
        password: user.password,
      });
      return res.status === 200 ? (res.body.access as string) : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, message: 'the provider never arrived on the node' },
  );
}

/**
 * Forces sync cycles on the node until every patient in `ids` is there (users arrive
 * before patients, so a login alone does not mean they have).
 */
export function waitForPatients(
  edge: EdgeServer,
  token: string,
  ids: string[],
  message = 'the patients never arrived on the node',
): Promise<boolean> {
  return waitUntil(
    async () => {
      await edge.syncRun(token);
      for (const id of ids) {
        const res = await edge.api('GET', `/api/v1/patients/${id}/`, undefined, token);
        if (res.status !== 200) return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500, message },
  );
}
