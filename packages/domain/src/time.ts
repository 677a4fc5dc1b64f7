/** Time as the domain sees it: an injected clock and strict ISO-8601 parsing. */

/** The source of "now". Injected everywhere so tests and replays control time. */
export interface Clock {
  now(): number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/**
 * The instants the system stores: from 1900 to the end of 9999. Every adapter and the
 * API's ISO format can hold them (JavaScript's Date stops in 275760; an ISO year has four
 * digits), so a time from anywhere (an API client, a node's push) outside them is refused.
 */
export const EARLIEST_TIME_MS = Date.UTC(1900, 0, 1);
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const TIME_RANGE_MESSAGE = 'Enter a time between the years 1900 and 9999.';

/** Whether `ms` is an integer instant within [EARLIEST_TIME_MS, LATEST_TIME_MS]. */
export function isWithinTimeRange(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= EARLIEST_TIME_MS && ms <= LATEST_TIME_MS;
}

// Date and time with seconds optional, fraction optional, and a REQUIRED offset (Z or +hh:mm).
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an ISO-8601 date-time that states its offset. Returns epoch ms, or
 * undefined for anything ambiguous (no offset), malformed or out of range.
 */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0'] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const ms = Date.parse(text.replace(' ', 'T'));
  if (!Number.isFinite(ms)) return undefined;
  // Reject dates JavaScript silently rolls over (e.g. Feb 30).
  const probe = new Date(Date.UTC(Number(y), month - 1, day));
  if (probe.getUTCDate() !== day) return undefined;
  return ms;
}

/** Formats epoch ms the way the API shows times: UTC, `Z`, milliseconds only when present. */
export function formatIsoDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** True when `zone` is an IANA time zone name this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
