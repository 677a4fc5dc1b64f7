/**
 * Date, start time and duration in the facility's time zone, with a live conflict check
 * against the node's API (`POST /appointments/check-conflicts/`) as soon as the booking is
 * complete enough to check. The server stays the judge: the check only warns early.
 */
import { describeError, post } from './api';
import { debounce, field, h, select, uid } from './dom';
import { dateIn, timeIn, zonedToUtc } from './time';
import type { Appointment, ConflictCheck } from './types';

export const DURATIONS = [15, 20, 30, 45, 60, 90, 120];

export interface SlotContext {
  patient?: string | undefined;
  provider?: string | undefined;
  facility?: string | undefined;
  exclude?: string | undefined;
}

export interface SlotPicker {
  fields: HTMLElement;
  /** The live conflict check's message (role=status). */
  result: HTMLElement;
  /** The chosen interval as ISO instants, or undefined while incomplete. */
  value(): { start_time: string; end_time: string } | undefined;
  /** Runs the check now (e.g. after the patient or provider changed). */
  recheck(): void;
}

export interface SlotOptions {
  labels: { date: string; time: string; duration: string };
  timeZone: () => string;
  context: () => SlotContext;
  initial?: { start?: number; durationMinutes?: number };
  /** `id` of the result element (the booking screens use `conflict-check`). */
  resultId?: string;
}

function clashLines(check: ConflictCheck, zone: string): string[] {
  const lines: string[] = [];
  const when = (
    items: {
      start_time: string;
      end_time: string;
      patient__first_name: string;
      patient__last_name: string;
    }[],
  ) =>
    items
      .map(
        (i) =>
          `${timeIn(Date.parse(i.start_time), zone)}–${timeIn(Date.parse(i.end_time), zone)} ${i.patient__first_name} ${i.patient__last_name}`,
      )
      .join('; ');
  const { provider, patient, facility } = check.conflicts;
  if (provider?.length)
    lines.push(`The provider already has an appointment in this window (${when(provider)}).`);
  if (patient?.length)
    lines.push(`The patient already has an appointment in this window (${when(patient)}).`);
  if (facility?.length) lines.push(`The facility is full at this time (${when(facility)}).`);
  if (check.late_conflicts?.length) {
    lines.push(
      `This appointment has ${check.late_conflicts.length} open late conflict(s) found by central.`,
    );
  }
  return lines;
}

export function slotPicker(opts: SlotOptions): SlotPicker {
  const zone = opts.timeZone();
  const start = opts.initial?.start;
  const date = h('input', {
    type: 'date',
    required: true,
    value: dateIn(start ?? Date.now(), zone),
  });
  const time = h('input', {
    type: 'time',
    required: true,
    step: 300,
    value: start ? timeIn(start, zone) : '',
  });
  // An appointment being moved keeps its own length, even one the list does not offer.
  const initialMinutes = opts.initial?.durationMinutes ?? 30;
  const minutes = DURATIONS.includes(initialMinutes)
    ? DURATIONS
    : [...DURATIONS, initialMinutes].sort((a, b) => a - b);
  const duration = select(
    { required: true },
    minutes.map((m) => ({ value: String(m), label: `${m} minutes` })),
    String(initialMinutes),
  );
  const zoneNote = h('small', { class: 'hint' }, `Times are in ${zone}.`);
  const result = h('div', { role: 'status', class: 'check', id: opts.resultId ?? uid('check') });

  const value = () => {
    if (!date.value || !time.value) return undefined;
    const tz = opts.timeZone();
    const startMs = zonedToUtc(date.value, time.value, tz);
    const endMs = startMs + Number(duration.value) * 60_000;
    if (!Number.isFinite(startMs)) return undefined;
    return { start_time: new Date(startMs).toISOString(), end_time: new Date(endMs).toISOString() };
  };

  let generation = 0;
  const run = async () => {
    zoneNote.textContent = `Times are in ${opts.timeZone()}.`;
    const slot = value();
    const ctx = opts.context();
    generation += 1;
    const mine = generation;
    if (!slot || !ctx.patient || !ctx.provider || !ctx.facility) {
      result.className = 'check';
      result.textContent = '';
      return;
    }
    result.className = 'check busy';
    result.textContent = 'Checking for conflicts…';
    try {
      const check = await post<ConflictCheck>('/appointments/check-conflicts/', {
        patient: ctx.patient,
        provider: ctx.provider,
        facility: ctx.facility,
        start_time: slot.start_time,
        end_time: slot.end_time,
        ...(ctx.exclude && { exclude: ctx.exclude }),
      });
      if (mine !== generation) return;
      const lines = clashLines(check, opts.timeZone());
      result.className = lines.length ? 'check bad' : 'check good';
      result.textContent = lines.length ? `Conflicts: ${lines.join(' ')}` : 'No conflicts';
    } catch (err) {
      if (mine !== generation) return;
      result.className = 'check bad';
      result.textContent = `Could not check: ${describeError(err).join(' ')}`;
    }
  };
  const recheck = debounce(() => void run(), 250);
  for (const input of [date, time, duration]) {
    input.addEventListener('input', recheck);
    input.addEventListener('change', recheck);
  }

  const fields = h(
    'div',
    { class: 'slot' },
    field(opts.labels.date, date),
    field(opts.labels.time, time),
    field(opts.labels.duration, duration),
    zoneNote,
  );
  return { fields, result, value, recheck };
}

/** The picker for a new time of an existing appointment (its own zone, length and ids). */
export function moveSlot(a: Appointment): SlotPicker {
  return slotPicker({
    labels: { date: 'New date', time: 'New start time', duration: 'New duration' },
    timeZone: () => a.facility_timezone,
    context: () => ({
      patient: a.patient,
      provider: a.provider,
      facility: a.facility,
      exclude: a.id,
    }),
    initial: { start: Date.parse(a.start_time), durationMinutes: a.duration_minutes },
    resultId: 'conflict-check',
  });
}
