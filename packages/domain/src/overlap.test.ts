import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findConflicts,
  hasConflicts,
  intervalsOverlap,
  maxConcurrency,
  type BookedSlot,
  type Interval,
} from './overlap';
import type { AppointmentStatus } from './model';

const MIN = 60_000;

/** Random intervals on a small grid, so overlaps, touches and nesting are all common. */
const interval = fc
  .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }))
  .map(([s, d]): Interval => ({ start_time: s * 5 * MIN, end_time: (s + d) * 5 * MIN }));

const status = fc.constantFrom<AppointmentStatus>('scheduled', 'completed', 'cancelled', 'no_show');

const booked = fc
  .tuple(
    interval,
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 0, max: 1 }),
    status,
    fc.uuid(),
  )
  .map(([iv, prov, pat, fac, st, id]): BookedSlot => ({
    ...iv,
    id,
    provider: `prov${prov}`,
    patient: `pat${pat}`,
    facility: `fac${fac}`,
    status: st,
  }));

/** The definition, instant by instant on the 5-minute grid: the oracle for the sweep. */
function bruteConcurrency(window: Interval, intervals: Interval[]): number {
  let best = 0;
  for (let t = window.start_time; t < window.end_time; t += 5 * MIN) {
    const depth = intervals.filter((iv) => iv.start_time <= t && t < iv.end_time).length;
    best = Math.max(best, depth);
  }
  return best;
}

describe('intervalsOverlap', () => {
  it('is the spec predicate: start < other.end AND end > other.start', () => {
    fc.assert(
      fc.property(interval, interval, (a, b) => {
        expect(intervalsOverlap(a, b)).toBe(a.start_time < b.end_time && a.end_time > b.start_time);
      }),
    );
  });

  it('is symmetric, and back-to-back intervals never overlap', () => {
    fc.assert(
      fc.property(interval, interval, (a, b) => {
        expect(intervalsOverlap(a, b)).toBe(intervalsOverlap(b, a));
        const next = { start_time: a.end_time, end_time: a.end_time + (b.end_time - b.start_time) };
        expect(intervalsOverlap(a, next)).toBe(false);
      }),
    );
  });

  it('is true whenever one interval contains an instant of the other', () => {
    fc.assert(
      fc.property(interval, interval, (a, b) => {
        const shared = Math.max(a.start_time, b.start_time);
        const inBoth = shared < a.end_time && shared < b.end_time;
        expect(intervalsOverlap(a, b)).toBe(inBoth);
      }),
    );
  });
});

describe('maxConcurrency', () => {
  it('matches counting every instant (sweep vs brute force)', () => {
    fc.assert(
      fc.property(interval, fc.array(interval, { maxLength: 12 }), (window, intervals) => {
        expect(maxConcurrency(window, intervals)).toBe(bruteConcurrency(window, intervals));
      }),
    );
  });

  it('does not stack back-to-back intervals', () => {
    const w = { start_time: 0, end_time: 60 * MIN };
    const chain = [0, 1, 2, 3].map((i) => ({
      start_time: i * 15 * MIN,
      end_time: (i + 1) * 15 * MIN,
    }));
    expect(maxConcurrency(w, chain)).toBe(1);
  });
});

describe('findConflicts', () => {
  it('flags exactly the active overlapping appointments of the same provider and patient', () => {
    fc.assert(
      fc.property(booked, fc.array(booked, { maxLength: 15 }), (candidate, existing) => {
        const c = findConflicts(candidate, existing, 1);
        const active = existing.filter(
          (e) =>
            e.id !== candidate.id &&
            (e.status === 'scheduled' || e.status === 'no_show') &&
            intervalsOverlap(candidate, e),
        );
        expect(c.provider ?? []).toEqual(active.filter((e) => e.provider === candidate.provider));
        expect(c.patient ?? []).toEqual(active.filter((e) => e.patient === candidate.patient));
      }),
    );
  });

  it('flags the facility exactly when the candidate would exceed its capacity at some instant', () => {
    fc.assert(
      fc.property(
        booked,
        fc.array(booked, { maxLength: 15 }),
        fc.integer({ min: 1, max: 4 }),
        (candidate, existing, capacity) => {
          const sameFacility = existing.filter(
            (e) =>
              e.id !== candidate.id &&
              e.facility === candidate.facility &&
              (e.status === 'scheduled' || e.status === 'no_show'),
          );
          const withCandidate = bruteConcurrency(candidate, [...sameFacility, candidate]);
          const flagged = findConflicts(candidate, existing, capacity).facility !== undefined;
          expect(flagged).toBe(withCandidate > capacity);
        },
      ),
    );
  });

  it('never reports the appointment being changed as its own conflict', () => {
    fc.assert(
      fc.property(booked, (a) => {
        expect(hasConflicts(findConflicts({ ...a, status: undefined } as never, [a], 1))).toBe(
          false,
        );
      }),
    );
  });

  it('a set built by accepting only conflict-free bookings never double-books (capacity 1)', () => {
    fc.assert(
      fc.property(fc.array(booked, { maxLength: 25 }), (requests) => {
        const accepted: BookedSlot[] = [];
        for (const r of requests) {
          const req = { ...r, status: 'scheduled' as const };
          if (!hasConflicts(findConflicts(req, accepted, 1))) accepted.push(req);
        }
        for (const [i, a] of accepted.entries()) {
          for (const b of accepted.slice(i + 1)) {
            if (!intervalsOverlap(a, b)) continue;
            expect(a.provider).not.toBe(b.provider);
            expect(a.patient).not.toBe(b.patient);
            expect(a.facility).not.toBe(b.facility);
          }
        }
      }),
    );
  });
});
