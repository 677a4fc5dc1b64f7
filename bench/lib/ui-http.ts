/**
 * HTTP as the web UI does it, to 127.0.0.1 only: one keep-alive connection (a browser
 * reuses its connection to the node), GETs of the page's assets with their raw bytes, the
 * cookie login of `POST /api/v1/auth/session/`, and a schedule read the way the page's
 * `getAll` reads it (`&page_size=100&page=N` until `next` is null, at most 10 pages).
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** From sending the request to the last byte of the body. */
  ms: number;
}

export interface UiHttpClient {
  request(
    method: string,
    path: string,
    headers?: http.OutgoingHttpHeaders,
    body?: string,
  ): Promise<RawResponse>;
  close(): void;
}

export function uiHttpClient(baseUrl: string): UiHttpClient {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`refusing to load ${base.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  return {
    request(method, path, headers = {}, body) {
      return new Promise<RawResponse>((resolve, reject) => {
        const all: http.OutgoingHttpHeaders = { ...headers };
        if (body !== undefined) {
          all['Content-Type'] = 'application/json';
          all['Content-Length'] = Buffer.byteLength(body);
        }
        const t0 = performance.now();
        const req = http.request(
          { host: base.hostname, port: base.port, method, path, agent, headers: all },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks),
                ms: performance.now() - t0,
              }),
            );
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

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/** The session a browser would hold after logging in: its cookies and CSRF token. */
export interface UiSession {
  cookies: StoredCookie[];
  csrf: string;
  user: { id: string; username: string; role: string; facilities: string[] };
  /** How long the login request took (password hashing included). */
  loginMs: number;
}

function parseSetCookie(line: string): StoredCookie | undefined {
  const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const path =
    attrs.map((a) => /^path=(.*)$/i.exec(a)?.[1]).find((p): p is string => p !== undefined) ?? '/';
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), path };
}

/** The `Cookie` header a browser sends to `path` (cookies whose Path is a prefix of it). */
export function cookieHeader(session: UiSession, path: string): string {
  const pathname = path.split('?')[0] ?? '/';
  return session.cookies
    .filter(
      (c) =>
        c.path === '/' ||
        pathname === c.path ||
        pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
    )
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

/** `POST /api/v1/auth/session/`: the page's login (sets the HttpOnly cookies). */
export async function sessionLogin(
  client: UiHttpClient,
  username: string,
  password: string,
): Promise<UiSession> {
  const res = await client.request(
    'POST',
    '/api/v1/auth/session/',
    { Accept: 'application/json' },
    JSON.stringify({ username, password }),
  );
  if (res.status !== 200) {
    throw new Error(`session login failed: ${res.status} ${res.body.toString('utf8')}`);
  }
  const cookies = (res.headers['set-cookie'] ?? [])
    .map(parseSetCookie)
    .filter((c): c is StoredCookie => c !== undefined);
  if (!cookies.some((c) => c.name.endsWith('_access'))) {
    throw new Error(`session login set no access cookie: ${JSON.stringify(res.headers)}`);
  }
  const body = JSON.parse(res.body.toString('utf8')) as {
    csrf_token: string;
    user: UiSession['user'];
  };
  return { cookies, csrf: body.csrf_token, user: body.user, loginMs: res.ms };
}

/** The query string the schedule screen builds (`qs()` of client/api.ts, same key order). */
export function schedulePath(facility: string, from: number, before: number): string {
  const q = new URLSearchParams({
    facility,
    start_time__gte: new Date(from).toISOString(),
    start_time__lt: new Date(before).toISOString(),
    ordering: 'start_time',
  });
  return `/api/v1/appointments/?${q.toString()}`;
}

export interface ScheduleFetch {
  /** All pages, from the first request sent to the last byte of the last page. */
  ms: number;
  pages: number;
  rows: number;
  /** JSON bytes of all pages together. */
  bytes: number;
  /** Their gzip -6 sizes added up (only when asked: computed after the timing). */
  gzipBytes?: number;
  /** The `count` the API reported. */
  count: number;
  ids: string[];
}

interface PageBody {
  count: number;
  next: string | null;
  results: { id: string }[];
}

/** Reads every page of `path` as client/api.ts `getAll` does (page_size=100, <= 10 pages). */
export async function fetchAllPages(
  client: UiHttpClient,
  session: UiSession,
  path: string,
  options: { gzip?: boolean } = {},
): Promise<ScheduleFetch> {
  const limit = 10;
  const bodies: Buffer[] = [];
  const t0 = performance.now();
  const ids: string[] = [];
  let bytes = 0;
  let count = 0;
  let pages = 0;
  for (let page = 1; page <= limit; page += 1) {
    const url = `${path}&page_size=100&page=${page}`;
    const res = await client.request('GET', url, {
      Accept: 'application/json',
      Cookie: cookieHeader(session, url),
    });
    if (res.status !== 200) {
      throw new Error(`GET ${url}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    }
    pages += 1;
    bytes += res.body.length;
    if (options.gzip) bodies.push(res.body);
    const body = JSON.parse(res.body.toString('utf8')) as PageBody;
    count = body.count;
    for (const r of body.results) ids.push(r.id);
    if (!body.next) break;
  }
  const ms = performance.now() - t0;
  const fetched: ScheduleFetch = { ms, pages, rows: ids.length, bytes, count, ids };
  if (options.gzip) {
    fetched.gzipBytes = bodies.reduce((sum, b) => sum + gzipSync(b, { level: 6 }).length, 0);
  }
  return fetched;
}
