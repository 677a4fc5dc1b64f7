/**
 * The clinic node's view of late conflicts: what central found when this node's bookings
 * met another node's. Read-only here (an admin resolves on central); cancelling or moving
 * one of the two appointments on its page resolves the conflict by itself.
 */
import { ApiError, get, getAll } from '../api';
import { appointmentCard } from '../components';
import { h } from '../dom';
import type { ViewContext } from '../routes';
import { dateTimeLabel, LOCAL_ZONE } from '../time';
import { CONFLICT_KIND_LABEL, type Appointment, type Conflict } from '../types';

/** The conflict's appointments that this node can see (the other may be out of its scope). */
export async function conflictAppointments(c: Conflict): Promise<(Appointment | string)[]> {
  return Promise.all(
    c.appointments.map((id) =>
      get<Appointment>(`/appointments/${id}/`).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return id;
        throw err;
      }),
    ),
  );
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Each conflict with its appointments, fetched six at a time (a long queue stays gentle). */
export function withAppointments(
  conflicts: Conflict[],
): Promise<{ c: Conflict; appts: (Appointment | string)[] }[]> {
  return mapLimit(conflicts, 6, async (c) => ({ c, appts: await conflictAppointments(c) }));
}

export function unknownAppointment(id: string): HTMLElement {
  return h(
    'section',
    { class: 'card appt muted', 'aria-label': 'Appointment at another facility' },
    h('h3', {}, 'Another facility’s appointment'),
    h('p', {}, `It is not in this node’s facilities (id ${id.slice(0, 8)}…).`),
  );
}

export async function conflictsView(_ctx: ViewContext): Promise<Node> {
  const open = await getAll<Conflict>('/conflicts/?status=open');
  const items = (await withAppointments(open)).map(({ c, appts }) => {
    const label = `${CONFLICT_KIND_LABEL[c.kind]} detected ${dateTimeLabel(Date.parse(c.detected_at), LOCAL_ZONE)}`;
    return h(
      'article',
      { class: 'conflict', 'aria-label': label },
      h('h2', {}, label),
      h(
        'div',
        { class: 'pair' },
        appts.map((a) => (typeof a === 'string' ? unknownAppointment(a) : appointmentCard(a))),
      ),
    );
  });
  return h(
    'section',
    {},
    h('h1', {}, 'Conflicts'),
    h(
      'p',
      { class: 'hint' },
      'Late conflicts are overlaps that no single clinic could see: two nodes booked the same provider, patient or room while offline. Both bookings are kept. A regional admin resolves them on central; cancelling or moving one of two overlapping appointments here resolves it too. An edit conflict (one appointment changed in two places) stays open until an admin resolves it with a note.',
    ),
    items.length ? items : h('p', { class: 'empty' }, 'No open conflicts.'),
  );
}
