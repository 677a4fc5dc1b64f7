import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIsoDateTime, isValidTimeZone, parseIsoDateTime } from './time';

describe('parseIsoDateTime', () => {
  it('parses offsets, fractions and optional seconds', () => {
    expect(parseIsoDateTime('2025-01-15T10:00:00Z')).toBe(Date.UTC(2025, 0, 15, 10));
    expect(parseIsoDateTime('2025-01-15T13:00:00+03:00')).toBe(Date.UTC(2025, 0, 15, 10));
    expect(parseIsoDateTime('2025-01-15T10:00Z')).toBe(Date.UTC(2025, 0, 15, 10));
    expect(parseIsoDateTime('2025-01-15T10:00:00.250Z')).toBe(Date.UTC(2025, 0, 15, 10, 0, 0, 250));
  });

  it('refuses times without an offset, impossible dates and junk', () => {
    for (const bad of [
      '2025-01-15T10:00:00',
      '2025-02-30T10:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-01-15T24:00:00Z',
      'tomorrow',
      '',
      '1736935200000',
    ]) {
      expect(parseIsoDateTime(bad), bad).toBeUndefined();
    }
  });

  it('round-trips with formatIsoDateTime', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        expect(parseIsoDateTime(formatIsoDateTime(ms))).toBe(ms);
      }),
    );
  });

  it('formats whole seconds without milliseconds, as the spec shows', () => {
    expect(formatIsoDateTime(Date.UTC(2025, 0, 15, 10))).toBe('2025-01-15T10:00:00Z');
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA zones and refuses others', () => {
    expect(isValidTimeZone('Africa/Nairobi')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
