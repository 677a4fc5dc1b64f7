/**
 * Browser sessions for the web UI: the same JWTs as the token API, kept in cookies the
 * page cannot read (HttpOnly, SameSite=Strict), plus a CSRF token for unsafe methods.
 *
 * - The access token lives in `<prefix>_access` (Path=/api, 15 minutes) and the refresh
 *   token in `<prefix>_refresh` (Path=/api/v1/auth/session, so it travels only to the
 *   endpoint that uses it).
 * - CSRF: a random token in the HttpOnly cookie `<prefix>_csrf`, also given to the page in
 *   the JSON body of the session endpoints. A request authenticated by cookie with an
 *   unsafe method must send it back in `X-CSRF-Token` (double submit; SameSite=Strict
 *   already stops cross-site sends, this covers old browsers and same-site attackers).
 * - Cookies of one host are shared by every port, and the demo runs central and a clinic
 *   node on two ports of 127.0.0.1. The prefix is derived from the node id, so logging in
 *   on one node never replaces the session of another.
 *
 * A request with an `Authorization` header is judged by that header alone and needs no
 * CSRF token: browsers never add that header on their own.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';

/** DRF's message for a missing or wrong CSRF token. */
export const CSRF_FAILED = 'CSRF Failed: CSRF token missing or incorrect.';
export const CSRF_HEADER = 'X-CSRF-Token';

const ACCESS_PATH = '/api';
const REFRESH_PATH = '/api/v1/auth/session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionCookies {
  access: string;
  refresh: string;
  csrf: string;
}

/** Cookie names for one node: `clinic_<8 hex of sha256(node id)>_{access,refresh,csrf}`. */
export function sessionCookieNames(nodeId: string): SessionCookies {
  const tag = createHash('sha256').update(nodeId).digest('hex').slice(0, 8);
  const prefix = `clinic_${tag}`;
  return { access: `${prefix}_access`, refresh: `${prefix}_refresh`, csrf: `${prefix}_csrf` };
}

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** Whether the request came over HTTPS (directly, or as a proxy in front of us says). */
function secure(c: Context): boolean {
  return c.req.url.startsWith('https:') || c.req.header('X-Forwarded-Proto') === 'https';
}

function options(c: Context, path: string, maxAgeSeconds: number): CookieOptions {
  return { path, httpOnly: true, sameSite: 'Strict', secure: secure(c), maxAge: maxAgeSeconds };
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface SessionLifetimes {
  accessSeconds: number;
  refreshSeconds: number;
}

export function setAccessCookie(
  c: Context,
  names: SessionCookies,
  access: string,
  life: SessionLifetimes,
): void {
  setCookie(c, names.access, access, options(c, ACCESS_PATH, life.accessSeconds));
}

export function setSessionCookies(
  c: Context,
  names: SessionCookies,
  tokens: { access: string; refresh: string; csrf: string },
  life: SessionLifetimes,
): void {
  setAccessCookie(c, names, tokens.access, life);
  setCookie(c, names.refresh, tokens.refresh, options(c, REFRESH_PATH, life.refreshSeconds));
  setCookie(c, names.csrf, tokens.csrf, options(c, '/', life.refreshSeconds));
}

export function clearSessionCookies(c: Context, names: SessionCookies): void {
  const base = { secure: secure(c), httpOnly: true, sameSite: 'Strict' as const };
  deleteCookie(c, names.access, { ...base, path: ACCESS_PATH });
  deleteCookie(c, names.refresh, { ...base, path: REFRESH_PATH });
  deleteCookie(c, names.csrf, { ...base, path: '/' });
}

export function readCookie(c: Context, name: string): string | undefined {
  const value = getCookie(c, name);
  return value && value.length <= 8192 ? value : undefined;
}

/** Whether `X-CSRF-Token` equals the session's CSRF cookie (constant time). */
export function csrfMatches(c: Context, names: SessionCookies): boolean {
  const cookie = readCookie(c, names.csrf);
  const header = c.req.header(CSRF_HEADER);
  if (!cookie || !header) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}
