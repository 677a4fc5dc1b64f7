import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc } from './hlc';
import {
  REGISTER_NAMES,
  changedRegisters,
  mergeAppointment,
  registerValue,
  type IncomingChange,
  type Register,
  type RegisterClocks,
} from './merge';
import type { Appointment, AppointmentStatus } from './model';

const BASE: Appointment = {
  id: 'a1',
  patient: 'p1',
  provider: 'u1',
  facility: 'f1',
  appointment_type: 'consultation',
  reason: 'cough',
  status: 'scheduled',
  start_time: 1_000_000,
  end_time: 2_000_000,
  created_by: null,
  deleted_at: null,
  clocks: '{}',
  origin_node: 'n0',
  version: 1,
  created_at: 0,
  updated_at: 0,
};
const BASE_CLOCKS: RegisterClocks = Object.fromEntries(
  REGISTER_NAMES.map((r) => [r, formatHlc({ ms: 1, counter: 0, node: 'n0' })]),
);

const edit = (node: string) =>
  fc
    .record({
      ms: fc.integer({ min: 2, max: 50 }),
      slot: fc.option(
        fc.record({
          start_time: fc.integer({ min: 0, max: 9 }),
          provider: fc.constantFrom('u1', 'u2'),
        }),
      ),
      details: fc.option(fc.constantFrom('fever', 'checkup')),
      status: fc.option(fc.constantFrom<AppointmentStatus>('completed', 'cancelled', 'no_show')),
      deleted: fc.option(fc.integer({ min: 100, max: 200 })),
    })
    .map((e): IncomingChange => {
      const row: Appointment = { ...BASE, origin_node: node };
      if (e.slot) {
        row.start_time = e.slot.start_time * 1_000_000;
        row.end_time = row.start_time + 600_000;
        row.provider = e.slot.provider;
      }
      if (e.details) row.reason = e.details;
      if (e.status) row.status = e.status;
      if (e.deleted !== null) row.deleted_at = e.deleted;
      const changed = changedRegisters(BASE, row);
      const hlc = formatHlc({ ms: e.ms, counter: 0, node });
      const clocks: RegisterClocks = { ...BASE_CLOCKS };
      for (const r of changed) clocks[r] = hlc;
      return { row, changed, base: BASE_CLOCKS, clocks };
    });

function apply(first: IncomingChange, second: IncomingChange) {
  const one = mergeAppointment(BASE, BASE_CLOCKS, first);
  const two = mergeAppointment(one.row, one.clocks, second);
  return { ...two, losses: [...one.losses, ...two.losses] };
}

const values = (row: Appointment) =>
  Object.fromEntries(REGISTER_NAMES.map((r) => [r, registerValue(row, r)]));

describe('mergeAppointment', () => {
  it('gives the same result whichever concurrent change arrives first', () => {
    fc.assert(
      fc.property(edit('nA'), edit('nB'), (a, b) => {
        const ab = apply(a, b);
        const ba = apply(b, a);
        expect(values(ab.row)).toEqual(values(ba.row));
        expect(ab.clocks).toEqual(ba.clocks);
      }),
    );
  });

  it('keeps every value that lost a concurrent edit', () => {
    fc.assert(
      fc.property(edit('nA'), edit('nB'), (a, b) => {
        const { row, losses } = apply(a, b);
        for (const change of [a, b]) {
          for (const r of change.changed) {
            const wanted = registerValue(change.row, r);
            const won = JSON.stringify(registerValue(row, r)) === JSON.stringify(wanted);
            const kept = losses.some(
              (l) => l.register === r && JSON.stringify(l.losing_value) === JSON.stringify(wanted),
            );
            expect(won || kept).toBe(true);
          }
        }
      }),
    );
  });

  it('lets a completed visit win over a concurrent cancellation, and a deletion always win', () => {
    const at = (ms: number, node: string) => formatHlc({ ms, counter: 0, node });
    const change = (patch: Partial<Appointment>, r: Register, ms: number, node: string) => ({
      row: { ...BASE, ...patch },
      changed: [r],
      base: BASE_CLOCKS,
      clocks: { ...BASE_CLOCKS, [r]: at(ms, node) },
    });
    const cancelledLater = change({ status: 'cancelled' }, 'status', 40, 'central');
    const completed = change({ status: 'completed' }, 'status', 5, 'clinic');
    const r1 = apply(cancelledLater, completed);
    expect(r1.row.status).toBe('completed');
    expect(r1.losses).toEqual([
      expect.objectContaining({ register: 'status', losing_value: { status: 'cancelled' } }),
    ]);
    const deleted = change({ deleted_at: 150 }, 'deleted', 3, 'n1');
    const undeleted = change({ reason: 'x' }, 'details', 99, 'n2');
    expect(apply(undeleted, deleted).row.deleted_at).toBe(150);
    expect(apply(deleted, undeleted).row.deleted_at).toBe(150);
  });

  it('takes a change nobody else made, with no loss', () => {
    const next: Appointment = { ...BASE, reason: 'new' };
    const r = mergeAppointment(BASE, BASE_CLOCKS, {
      row: next,
      changed: ['details'],
      base: BASE_CLOCKS,
      clocks: { ...BASE_CLOCKS, details: formatHlc({ ms: 0, counter: 0, node: 'slow' }) },
    });
    expect(r.row.reason).toBe('new');
    expect(r.losses).toEqual([]);
    expect(r.taken).toEqual(['details']);
    expect(r.clocks.details).toBe(formatHlc({ ms: 0, counter: 0, node: 'slow' }));
  });
});
