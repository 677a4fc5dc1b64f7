import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from './errors';
import { APPOINTMENT_STATUSES, type AppointmentStatus } from './model';
import { assertTransition, canTransition } from './status';

// The full table, typed as a Record so the compiler demands every cell.
const EXPECTED: Record<AppointmentStatus, Record<AppointmentStatus, boolean>> = {
  scheduled: { scheduled: false, completed: true, cancelled: true, no_show: true },
  completed: { scheduled: false, completed: false, cancelled: false, no_show: false },
  cancelled: { scheduled: false, completed: false, cancelled: false, no_show: false },
  no_show: { scheduled: false, completed: false, cancelled: false, no_show: false },
};

describe('status machine', () => {
  for (const from of APPOINTMENT_STATUSES) {
    for (const to of APPOINTMENT_STATUSES) {
      it(`${from} -> ${to} is ${EXPECTED[from][to] ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(EXPECTED[from][to]);
        if (EXPECTED[from][to]) {
          expect(() => assertTransition(from, to)).not.toThrow();
        } else {
          try {
            assertTransition(from, to);
            expect.unreachable();
          } catch (e) {
            expect(e).toBeInstanceOf(DomainError);
            expect((e as DomainError).code).toBe(ErrorCode.InvalidTransition);
            expect((e as DomainError).details?.status?.[0]).toContain(`from ${from} to ${to}`);
          }
        }
      });
    }
  }
});
