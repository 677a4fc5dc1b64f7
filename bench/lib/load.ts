/**
 * The HTTP load generator: N concurrent clients, each a closed loop (send a request,
 * wait for the whole response, send the next) over keep-alive connections of a
 * node:http Agent (one socket per client), to 127.0.0.1 only.
 *
 * Phases: `warmupMs` of load that is not measured (JIT, caches, SQLite page cache), then
 * `measureMs`. A request counts when it COMPLETES inside the measured window: req/s is
 * those completions over the window, latencies are theirs. Every response must have the
 * expected status (201 for a booking); anything else, and any socket error, counts as an
 * error and a few are kept to print. While measuring, the server's RSS is sampled and
 * its CPU time read.
 */
import http from 'node:http';
import { readCpuMs, sampleRss, type RssStats } from './proc';
import { summarize, type LatencySummary } from './stats';

export interface HttpResponse {
  status: number;
  body: string;
}

export interface HttpClient {
  post(path: string, body: string, token?: string): Promise<HttpResponse>;
  close(): void;
}

export function httpClient(baseUrl: string, sockets: number): HttpClient {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`refusing to load ${base.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  return {
    post(path, body, token) {
      return new Promise<HttpResponse>((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        };
        if (token) headers.Authorization = `Bearer ${token}`;
        const req = http.request(
          { host: base.hostname, port: base.port, method: 'POST', path, agent, headers },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** Logs in and returns the access token. */
export async function login(
  client: HttpClient,
  username: string,
  password: string,
): Promise<string> {
  const res = await client.post('/api/v1/auth/token/', JSON.stringify({ username, password }));
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body}`);
  const { access } = JSON.parse(res.body) as { access?: string };
  if (!access) throw new Error(`login answered without an access token: ${res.body}`);
  return access;
}

export interface LoadOptions {
  client: HttpClient;
  path: string;
  token: string;
  expectedStatus: number;
  clients: number;
  warmupMs: number;
  measureMs: number;
  /** The next request body of client `c`. */
  nextBody(c: number): string;
  /** The server's pid: its RSS is sampled and its CPU time read while measuring. */
  serverPid: number;
  /** Called when the measured window opens and when it closes. */
  onWindow?: (edge: 'open' | 'close') => void;
}

export interface LoadResult {
  clients: number;
  measuredSeconds: number;
  /** Completed in the measured window, any status. */
  requests: number;
  /** Of those, the ones without the expected status (or failed on the socket). */
  errors: number;
  warmupRequests: number;
  warmupErrors: number;
  /** Successful (expected status) requests per second in the window. */
  reqPerSec: number;
  latency: LatencySummary;
  /** A few error descriptions (status and body start), for the report. */
  errorSamples: string[];
  serverRss: RssStats;
  /** Server CPU time over the window / wall time (1.0 = one core busy). */
  serverCpuCores: number;
  /** Server CPU milliseconds per measured request. */
  serverCpuMsPerRequest: number;
  /** This (load generator) process's CPU over the window / wall time. */
  clientCpuCores: number;
  /** Completed requests per second of the run, warm-up included (shows the warm-up). */
  perSecond: number[];
}

const MAX_ERROR_SAMPLES = 5;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const t0 = performance.now();
  const windowStart = t0 + opts.warmupMs;
  const windowEnd = windowStart + opts.measureMs;
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let requests = 0;
  let errors = 0;
  let warmupRequests = 0;
  let warmupErrors = 0;
  const perSecond: number[] = [];

  // Measurements of the window, taken by a timer when it opens and closes.
  let cpuStart = 0;
  let clientCpuStart = process.cpuUsage();
  let rss: { stop(): RssStats } | undefined;
  const opened = setTimeout(
    () => {
      cpuStart = readCpuMs(opts.serverPid) ?? 0;
      clientCpuStart = process.cpuUsage();
      rss = sampleRss(opts.serverPid);
      opts.onWindow?.('open');
    },
    Math.max(0, windowStart - performance.now()),
  );
  let closed: { cpu: number; clientCpu: NodeJS.CpuUsage; rss: RssStats } | undefined;
  const closer = setTimeout(
    () => {
      closed = {
        cpu: readCpuMs(opts.serverPid) ?? 0,
        clientCpu: process.cpuUsage(clientCpuStart),
        rss: rss?.stop() ?? { maxBytes: 0, meanBytes: 0, samples: 0 },
      };
      opts.onWindow?.('close');
    },
    Math.max(0, windowEnd - performance.now()),
  );

  const record = (start: number, end: number, ok: boolean, describe: () => string) => {
    const second = Math.floor((end - t0) / 1000);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
    const inWindow = end >= windowStart && end <= windowEnd;
    if (inWindow) {
      requests += 1;
      latencies.push(end - start);
      if (!ok) errors += 1;
    } else if (end < windowStart) {
      warmupRequests += 1;
      if (!ok) warmupErrors += 1;
    }
    if (!ok && errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(describe());
  };

  const loop = async (c: number) => {
    while (performance.now() < windowEnd) {
      const body = opts.nextBody(c);
      const start = performance.now();
      try {
        const res = await opts.client.post(opts.path, body, opts.token);
        const ok = res.status === opts.expectedStatus;
        record(start, performance.now(), ok, () => `${res.status} ${res.body.slice(0, 300)}`);
      } catch (err) {
        record(start, performance.now(), false, () => `socket error: ${(err as Error).message}`);
        // A refused connection fails fast; don't spin.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, c) => loop(c)));
  clearTimeout(opened);
  clearTimeout(closer);
  if (!closed) opts.onWindow?.('close');
  const end = closed ?? {
    cpu: readCpuMs(opts.serverPid) ?? 0,
    clientCpu: process.cpuUsage(clientCpuStart),
    rss: rss?.stop() ?? { maxBytes: 0, meanBytes: 0, samples: 0 },
  };

  const seconds = opts.measureMs / 1000;
  const clientCpuMs = (end.clientCpu.user + end.clientCpu.system) / 1000;
  return {
    clients: opts.clients,
    measuredSeconds: seconds,
    requests,
    errors,
    warmupRequests,
    warmupErrors,
    reqPerSec: (requests - errors) / seconds,
    latency: summarize(latencies),
    errorSamples,
    serverRss: end.rss,
    serverCpuCores: (end.cpu - cpuStart) / opts.measureMs,
    serverCpuMsPerRequest: requests ? (end.cpu - cpuStart) / requests : Number.NaN,
    clientCpuCores: clientCpuMs / opts.measureMs,
    perSecond: Array.from(perSecond, (n) => n ?? 0),
  };
}
