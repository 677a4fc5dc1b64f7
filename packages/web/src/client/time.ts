/**
 * Wall-clock time in a facility's time zone, with the browser's Intl only. Dates are
 * `YYYY-MM-DD` strings and times `HH:MM`, always meant in the facility's zone, whatever
 * zone the laptop itself is set to.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function parts(ms: number, timeZone: string): Record<string, string> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/** `YYYY-MM-DD` of the instant in the zone. */
export function dateIn(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `HH:MM` of the instant in the zone. */
export function timeIn(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.hour}:${p.minute}`;
}

/** The zone's offset from UTC at `ms`, in ms (Nairobi: +3 h). */
function offsetAt(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  const asUtc = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The wall-clock fields of `ms` in the zone, as if they were UTC. */
function wallOf(ms: number, timeZone: string): number {
  return ms + offsetAt(ms, timeZone);
}

const HOURS_14 = 14 * 3_600_000;

/**
 * The instant of wall time `date` `time` in the zone. Around a daylight-saving change it
 * does what calendars (and Temporal's "compatible") do: a time that happens twice is the
 * earlier one; a time that never happens (the clock jumped over it) is moved forward by
 * the jump, e.g. 02:30 on a spring-forward night in New York is 03:30.
 */
export function zonedToUtc(date: string, time: string, timeZone: string): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  // The zone's offsets half a day either side: a transition near `wall` lies between them.
  const before = offsetAt(wall - HOURS_14, timeZone);
  const after = offsetAt(wall + HOURS_14, timeZone);
  const fits = [wall - before, wall - after].filter((t) => wallOf(t, timeZone) === wall);
  if (fits.length > 0) return Math.min(...fits);
  return wall - before;
}

/** Midnight starting `date` in the zone. */
export function startOfDay(date: string, timeZone: string): number {
  return zonedToUtc(date, '00:00', timeZone);
}

/** `date` plus `days` (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The Monday of the week that holds `date`. */
export function weekStart(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mon 30 Nov" for a `YYYY-MM-DD`. */
export function dayLabel(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return `${WEEKDAYS[weekday]} ${d} ${MONTHS[m - 1]}`;
}

/** "Mon 30 Nov 2026, 10:00" in the zone. */
export function dateTimeLabel(ms: number, timeZone: string): string {
  const date = dateIn(ms, timeZone);
  return `${dayLabel(date)} ${date.slice(0, 4)}, ${timeIn(ms, timeZone)}`;
}

/** "10:00–10:30 (Africa/Nairobi)" style range of an appointment. */
export function rangeLabel(startIso: string, endIso: string, timeZone: string): string {
  const start = Date.parse(startIso);
  const end = Date.parse(endIso);
  const sameDay = dateIn(start, timeZone) === dateIn(end, timeZone);
  const endText = sameDay ? timeIn(end, timeZone) : dateTimeLabel(end, timeZone);
  return `${dateTimeLabel(start, timeZone)}–${endText}`;
}

/** "5 min ago" style age of an instant, or "never". */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** The browser's own zone (used for "last sync" clock times, which are not a facility's). */
export const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
