/**
 * The page's only way out: JSON requests to this node's own API, authenticated by the
 * HttpOnly session cookie. Unsafe methods carry the CSRF token the session handed us.
 * An expired access cookie is renewed once (GET /auth/session reads the refresh cookie).
 */
export interface Session {
  user: {
    id: string;
    username: string;
    role: string;
    user_type: string;
    first_name: string;
    last_name: string;
    facilities: string[];
  };
  csrf_token: string;
  node: { role: 'edge' | 'central'; id: string };
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** An answer that was not 2xx: `body` is the API's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(errorMessages(body).join(' ') || `HTTP ${status}`);
  }
}

/** The network itself failed: the node is not answering. */
export class NetworkError extends Error {}

let csrf = '';
let userId: string | undefined;
let onLoggedOut: () => void = () => {};

/** DRF's answer to a missing or stale CSRF token (packages/api/src/session.ts). */
const CSRF_FAILED = 'CSRF Failed: CSRF token missing or incorrect.';

export function setSession(session: Session | null): void {
  csrf = session?.csrf_token ?? '';
  userId = session?.user.id;
}

/** What to do when the session is gone for good (show the login screen). */
export function whenLoggedOut(fn: () => void): void {
  onLoggedOut = fn;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  try {
    return await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new NetworkError('This clinic node is not answering. Is it running?');
  }
}

async function parse(res: Response): Promise<unknown> {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { detail: `Unexpected answer (HTTP ${res.status}).` };
  }
}

/**
 * Asks the node for the session again (renewing the access cookie from the refresh
 * cookie). False when there is none. When another tab logged in as someone else, the page
 * starts over, so it never shows one person's screens with another's permissions.
 */
async function renew(): Promise<boolean> {
  const res = await send('GET', '/auth/session/');
  const session = res.ok ? ((await parse(res)) as Session | null) : null;
  if (!session) return false;
  if (userId !== undefined && session.user.id !== userId) {
    location.reload();
    return false;
  }
  setSession(session);
  return true;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (!path.startsWith('/auth/')) {
    // An expired access cookie, or a CSRF token replaced by a login in another tab:
    // renew once and try again.
    const stale =
      res.status === 401 ||
      (res.status === 403 &&
        ((await parse(res.clone())) as { detail?: string })?.detail === CSRF_FAILED);
    if (stale) {
      if (await renew()) res = await send(method, path, body);
      if (res.status === 401) onLoggedOut();
    }
  }
  const data = await parse(res);
  if (!res.ok) throw new ApiError(res.status, data);
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/**
 * Every page of a list, up to `limit` pages of 100 (a busy facility's week is a few pages;
 * 5,000 rows is far past anything one screen should show).
 */
export async function getAll<T>(path: string, limit = 50): Promise<T[]> {
  const sep = path.includes('?') ? '&' : '?';
  const out: T[] = [];
  for (let page = 1; page <= limit; page += 1) {
    const res = await get<Page<T>>(`${path}${sep}page_size=100&page=${page}`);
    out.push(...res.results);
    if (!res.next) break;
  }
  return out;
}

/** Query string from the defined values of `params`. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

const FIELD_LABELS: Record<string, string> = {
  non_field_errors: '',
  detail: '',
  start_time: 'Start time',
  end_time: 'End time',
  patient: 'Patient',
  provider: 'Provider',
  facility: 'Facility',
  status: 'Status',
  patient_id: 'Patient ID',
  phone_number: 'Phone',
  email: 'Email',
  first_name: 'First name',
  last_name: 'Last name',
  appointment_type: 'Type',
  reason: 'Reason',
  resolution: 'Resolution note',
};

/** DRF error bodies as sentences: `{field: [msg]}` → "Field: msg", `{detail}` → detail. */
export function errorMessages(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const label = FIELD_LABELS[key] ?? key.replace(/_/g, ' ');
    const messages = Array.isArray(value) ? value : [value];
    for (const m of messages) {
      if (typeof m === 'string') out.push(label ? `${label}: ${m}` : m);
      else if (m && typeof m === 'object') out.push(...errorMessages(m));
    }
  }
  return out;
}

/** A message for any error thrown by `api`. */
export function describeError(err: unknown): string[] {
  if (err instanceof ApiError) {
    const lines = errorMessages(err.body);
    return lines.length > 0 ? lines : [`The node answered HTTP ${err.status}.`];
  }
  if (err instanceof NetworkError) return [err.message];
  return ['Something went wrong in the page. Reload it and try again.'];
}
