/**
 * Day and week schedules per facility, optionally per provider, in the facility's time
 * zone. A day is the facility's local midnight to midnight; a week starts on Monday.
 */
import { getAll, qs } from '../api';
import { statusBadge } from '../components';
import { field, h, mount, notice, select } from '../dom';
import type { ViewContext } from '../routes';
import { current, defaultFacility, onLogout, personName, providersAt, zoneOf } from '../state';
import { addDays, dateIn, dayLabel, startOfDay, timeIn, weekStart } from '../time';
import { humanize, type Appointment } from '../types';

interface Choice {
  view: 'day' | 'week';
  facility: string;
  provider: string;
  date: string;
}

// Kept for the session, so coming back to the schedule shows the same place.
let choice: Choice | undefined;
onLogout(() => {
  choice = undefined;
});

function line(a: Appointment): HTMLElement {
  const zone = a.facility_timezone;
  return h(
    'li',
    { class: `slot-item ${a.status}` },
    h(
      'a',
      { href: `#/appointments/${a.id}` },
      h(
        'span',
        { class: 'time' },
        `${timeIn(Date.parse(a.start_time), zone)}–${timeIn(Date.parse(a.end_time), zone)}`,
      ),
      ' ',
      h('span', { class: 'who' }, a.patient_name),
    ),
    h('span', { class: 'meta' }, ` ${a.provider_name} · ${humanize(a.appointment_type)} `),
    a.status !== 'scheduled' && statusBadge(a),
  );
}

export async function scheduleView(ctx: ViewContext): Promise<Node> {
  const state = current();
  const first = defaultFacility();
  if (!first) {
    return h(
      'section',
      {},
      h('h1', {}, 'Schedule'),
      notice('alert', 'No facilities yet: this node gets them from central on its first sync.'),
    );
  }
  const zoneToday = (facility: string) => dateIn(Date.now(), zoneOf(facility));
  choice ??= { view: 'day', facility: first.id, provider: '', date: zoneToday(first.id) };
  if (!state.facilities.some((f) => f.id === choice!.facility)) choice.facility = first.id;
  const c = choice;

  const view = select(
    {},
    [
      { value: 'day', label: 'Day' },
      { value: 'week', label: 'Week' },
    ],
    c.view,
  );
  const facility = select(
    {},
    state.facilities.map((f) => ({ value: f.id, label: f.name })),
    c.facility,
  );
  const provider = h('select', {});
  const fillProviders = () => {
    provider.replaceChildren(
      h('option', { value: '' }, 'All providers'),
      ...providersAt(facility.value).map((p) => h('option', { value: p.id }, personName(p))),
    );
    provider.value = providersAt(facility.value).some((p) => p.id === c.provider) ? c.provider : '';
  };
  fillProviders();
  const date = h('input', { type: 'date', value: c.date, required: true });
  const prev = h('button', { type: 'button' }, 'Previous');
  const today = h('button', { type: 'button' }, 'Today');
  const next = h('button', { type: 'button' }, 'Next');
  const body = h('div', { class: 'schedule-body', 'aria-live': 'polite' });

  let generation = 0;
  const load = async () => {
    generation += 1;
    const mine = generation;
    c.view = view.value === 'week' ? 'week' : 'day';
    c.facility = facility.value;
    c.provider = provider.value;
    if (date.value) c.date = date.value;
    const zone = zoneOf(c.facility);
    const from = c.view === 'week' ? weekStart(c.date) : c.date;
    const days = c.view === 'week' ? 7 : 1;
    const start = startOfDay(from, zone);
    const end = startOfDay(addDays(from, days), zone);
    mount(body, h('p', { class: 'loading' }, 'Loading…'));
    try {
      const rows = await getAll<Appointment>(
        `/appointments/${qs({
          facility: c.facility,
          provider: c.provider,
          start_time__gte: new Date(start).toISOString(),
          start_time__lt: new Date(end).toISOString(),
          ordering: 'start_time',
        })}`,
      );
      // A later click (Next, another provider) may have answered first: keep the newest.
      if (mine !== generation) return;
      const facilityName = state.facilities.find((f) => f.id === c.facility)?.name ?? '';
      const who = c.provider
        ? personName(
            providersAt(c.facility).find((p) => p.id === c.provider) ?? {
              first_name: '',
              last_name: '',
            },
          )
        : 'all providers';
      const title =
        c.view === 'week'
          ? `Week of ${dayLabel(from)} ${from.slice(0, 4)}`
          : `${dayLabel(from)} ${from.slice(0, 4)}`;
      const heading = h(
        'h2',
        {},
        `${title}: ${facilityName}, ${who}`,
        h('small', { class: 'zone' }, ` (${zone})`),
      );
      if (c.view === 'day') {
        mount(
          body,
          heading,
          rows.length
            ? h(
                'ol',
                { class: 'day', 'aria-label': `Appointments on ${dayLabel(from)}` },
                rows.map(line),
              )
            : h(
                'p',
                { class: 'empty' },
                'No appointments on this day.',
                ctx.role === 'edge' ? [' ', h('a', { href: '#/book' }, 'Book one')] : null,
              ),
        );
        return;
      }
      const dates = Array.from({ length: 7 }, (_, i) => addDays(from, i));
      const byDay = new Map<string, Appointment[]>(dates.map((d) => [d, []]));
      for (const a of rows) byDay.get(dateIn(Date.parse(a.start_time), zone))?.push(a);
      const todayDate = zoneToday(c.facility);
      mount(
        body,
        heading,
        h(
          'table',
          { class: 'week' },
          h('caption', { class: 'sr-only' }, `Appointments, ${title}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              dates.map((d) =>
                h('th', { scope: 'col', class: d === todayDate ? 'today' : '' }, dayLabel(d)),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            h(
              'tr',
              {},
              dates.map((d) => {
                const list = byDay.get(d) ?? [];
                return h(
                  'td',
                  { 'data-label': dayLabel(d), class: d === todayDate ? 'today' : '' },
                  list.length
                    ? h('ol', { class: 'day' }, list.map(line))
                    : h('span', { class: 'empty' }, 'Free'),
                );
              }),
            ),
          ),
        ),
      );
    } catch (err) {
      mount(
        body,
        notice(
          'alert',
          ...(err instanceof Error ? [err.message] : ['Could not load the schedule.']),
        ),
      );
    }
  };

  const shift = (sign: number) => {
    const step = view.value === 'week' ? 7 : 1;
    date.value = addDays(date.value || c.date, sign * step);
    void load();
  };
  prev.addEventListener('click', () => shift(-1));
  next.addEventListener('click', () => shift(1));
  today.addEventListener('click', () => {
    date.value = zoneToday(facility.value);
    void load();
  });
  facility.addEventListener('change', () => {
    fillProviders();
    void load();
  });
  for (const control of [view, provider, date])
    control.addEventListener('change', () => void load());

  await load();
  return h(
    'section',
    {},
    h('h1', {}, 'Schedule'),
    h(
      'div',
      { class: 'toolbar' },
      field('View', view),
      field('Facility', facility),
      field('Provider', provider),
      field('Date', date),
      h('div', { class: 'actions nav-buttons' }, prev, today, next),
    ),
    body,
  );
}
