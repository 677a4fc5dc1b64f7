/**
 * The page's time-zone arithmetic (packages/web/src/client/time.ts): wall time in a
 * facility's zone to an instant and back, including daylight-saving nights, whatever zone
 * the computer running the page is in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  dateIn,
  startOfDay,
  timeIn,
  weekStart,
  zonedToUtc,
} from '../../packages/web/src/client/time';

const iso = (ms: number) => new Date(ms).toISOString();

describe('facility time zones in the page', () => {
  it('converts wall time in zones without daylight saving', () => {
    expect(iso(zonedToUtc('2026-11-28', '10:00', 'Africa/Nairobi'))).toBe(
      '2026-11-28T07:00:00.000Z',
    );
    expect(iso(zonedToUtc('2026-11-28', '00:00', 'Africa/Kampala'))).toBe(
      '2026-11-27T21:00:00.000Z',
    );
    expect(iso(zonedToUtc('2026-11-28', '10:00', 'UTC'))).toBe('2026-11-28T10:00:00.000Z');
    expect(iso(zonedToUtc('2026-11-28', '10:00', 'Asia/Kathmandu'))).toBe(
      '2026-11-28T04:15:00.000Z',
    );
  });

  it('takes the earlier of a repeated hour and moves a skipped one forward', () => {
    // New York falls back on 2026-11-01 (01:00-02:00 happens twice) ...
    expect(iso(zonedToUtc('2026-11-01', '01:30', 'America/New_York'))).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    // ... and springs forward on 2026-03-08 (02:00-03:00 never happens).
    expect(iso(zonedToUtc('2026-03-08', '02:30', 'America/New_York'))).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    expect(timeIn(zonedToUtc('2026-03-08', '02:30', 'America/New_York'), 'America/New_York')).toBe(
      '03:30',
    );
    // Berlin, east of UTC: the same rules.
    expect(iso(zonedToUtc('2026-10-25', '02:30', 'Europe/Berlin'))).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(timeIn(zonedToUtc('2026-03-29', '02:30', 'Europe/Berlin'), 'Europe/Berlin')).toBe(
      '03:30',
    );
  });

  it('starts a day at its first instant even when midnight is skipped', () => {
    // Havana springs forward at midnight: 2026-03-08 begins at 01:00 local.
    const start = startOfDay('2026-03-08', 'America/Havana');
    expect(dateIn(start, 'America/Havana')).toBe('2026-03-08');
    expect(timeIn(start, 'America/Havana')).toBe('01:00');
  });

  it('round-trips every wall time that exists, in several zones (property)', () => {
    const zones = [
      'Africa/Nairobi',
      'America/New_York',
      'Europe/Berlin',
      'Australia/Lord_Howe',
      'America/Havana',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }),
        (zone, ms) => {
          const instant = Math.floor(ms / 60_000) * 60_000;
          const back = zonedToUtc(dateIn(instant, zone), timeIn(instant, zone), zone);
          // Same wall time; the same instant unless that wall time happens twice.
          expect(dateIn(back, zone)).toBe(dateIn(instant, zone));
          expect(timeIn(back, zone)).toBe(timeIn(instant, zone));
          expect(back).toBeLessThanOrEqual(instant);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('does calendar arithmetic on dates, weeks starting on Monday', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(weekStart('2026-11-27')).toBe('2026-11-23');
    expect(weekStart('2026-11-23')).toBe('2026-11-23');
    expect(weekStart('2026-11-29')).toBe('2026-11-23');
  });
});
