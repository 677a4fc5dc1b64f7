/** Upcoming: scheduled appointments still to come, soonest first (`/appointments/upcoming/`). */
import { get, type Page } from '../api';
import { appointmentTable } from '../components';
import { h } from '../dom';
import type { ViewContext } from '../routes';
import type { Appointment } from '../types';

export async function upcomingView(_ctx: ViewContext): Promise<Node> {
  const page = await get<Page<Appointment>>('/appointments/upcoming/?page_size=100');
  return h(
    'section',
    {},
    h('h1', {}, 'Upcoming appointments'),
    h(
      'p',
      { class: 'hint' },
      page.count > page.results.length
        ? `The next ${page.results.length} of ${page.count} scheduled appointments.`
        : `${page.count} scheduled appointment${page.count === 1 ? '' : 's'} to come.`,
    ),
    appointmentTable(page.results, {
      caption: 'Upcoming appointments',
      empty: 'Nothing is scheduled from now on.',
    }),
  );
}
