/**
 * Dates and times as a facility's clock shows them, for messages: "Wed 15 Jan 2025",
 * "13:00", "EAT". Intl only (no date library); the wording is fixed English, 24-hour clock.
 */

/** What a message shows of one instant in one zone. */
export interface ZonedParts {
  /** "Wed 15 Jan 2025" */
  date: string;
  /** "Wed 15 Jan" */
  shortDate: string;
  /** "13:00" */
  time: string;
  /** "EAT", or "GMT+3" where no abbreviation is in common use. */
  zone: string;
}

/**
 * English locales tried, in order, for a zone's short name. CLDR gives a zone an abbreviation
 * only in the locales where it is in common use (EAT in en-KE, WAT in en-NG, EST in en-US);
 * the others show "GMT+3".
 */
const ZONE_NAME_LOCALES = [
  'en-US',
  'en-GB',
  'en-KE',
  'en-NG',
  'en-ZA',
  'en-GH',
  'en-IN',
  'en-AU',
  'en-CA',
  'en-NZ',
];
const GMT_OFFSET = /^(GMT|UTC)[+-−]\d/;

/** `zone` when this runtime knows it, else UTC, so a bad zone never blocks a message. */
export function usableTimeZone(zone: string): string {
  try {
    formatter('en', zone, 'name');
    return zone;
  } catch {
    return 'UTC';
  }
}

// Building an Intl.DateTimeFormat costs far more than using one: keep them per locale and zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, timeZone: string, kind: 'parts' | 'name'): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${kind}`;
  let format = formatters.get(key);
  if (!format) {
    format =
      kind === 'name'
        ? new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
        : new Intl.DateTimeFormat(locale, {
            timeZone,
            weekday: 'short',
            day: 'numeric',
            month: 'short',
            year: 'numeric',
            hour: '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          });
    formatters.set(key, format);
  }
  return format;
}

export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const zone = usableTimeZone(timeZone);
  const at = new Date(ms);
  const parts = partsOf(formatter('en-GB', zone, 'parts'), at);
  const shortDate = `${parts.weekday} ${parts.day} ${parts.month}`;
  return {
    date: `${shortDate} ${parts.year}`,
    shortDate,
    time: `${parts.hour}:${parts.minute}`,
    zone: zoneAbbreviation(at, zone),
  };
}

/** The zone's short name at that instant (daylight time included). */
export function zoneAbbreviation(at: Date, timeZone: string): string {
  let fallback: string | undefined;
  for (const locale of ZONE_NAME_LOCALES) {
    const name = partsOf(formatter(locale, timeZone, 'name'), at).timeZoneName;
    if (!name) continue;
    if (!GMT_OFFSET.test(name)) return name;
    fallback ??= name;
  }
  return fallback ?? timeZone;
}

/** "13:00–13:30 EAT" (the end's date is added when it falls on another day). */
export function timeRange(
  start: number,
  end: number,
  timeZone: string,
  dash = '–',
): { date: string; shortDate: string; range: string } {
  const from = zonedParts(start, timeZone);
  const to = zonedParts(end, timeZone);
  const endText = to.date === from.date ? to.time : `${to.shortDate} ${to.time}`;
  const zone = from.zone === to.zone ? to.zone : `${from.zone}/${to.zone}`;
  return {
    date: from.date,
    shortDate: from.shortDate,
    range: `${from.time}${dash}${endText} ${zone}`,
  };
}

function partsOf(format: Intl.DateTimeFormat, at: Date): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (const part of format.formatToParts(at)) out[part.type] = part.value;
  return out;
}
