/** Pieces shared by several screens: appointment tables and the appointment summary card. */
import { h } from './dom';
import { dateTimeLabel, rangeLabel } from './time';
import { humanize, STATUS_LABEL, type Appointment } from './types';

export function statusBadge(a: Pick<Appointment, 'status'>): HTMLElement {
  return h('span', { class: `badge ${a.status}` }, STATUS_LABEL[a.status]);
}

/** A table of appointments; every row links to the appointment's page. */
export function appointmentTable(
  rows: Appointment[],
  opts: { caption: string; showFacility?: boolean; empty?: string },
): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, opts.empty ?? 'No appointments.');
  const showFacility = opts.showFacility ?? true;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list' },
      h('caption', { class: 'sr-only' }, opts.caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Time'),
          h('th', { scope: 'col' }, 'Patient'),
          h('th', { scope: 'col' }, 'Provider'),
          showFacility && h('th', { scope: 'col' }, 'Facility'),
          h('th', { scope: 'col' }, 'Type'),
          h('th', { scope: 'col' }, 'Status'),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((a) =>
          h(
            'tr',
            {},
            h(
              'td',
              { 'data-label': 'Time' },
              h(
                'a',
                { href: `#/appointments/${a.id}` },
                dateTimeLabel(Date.parse(a.start_time), a.facility_timezone),
              ),
              h('small', { class: 'zone' }, ` ${a.facility_timezone}`),
            ),
            h(
              'td',
              { 'data-label': 'Patient' },
              `${a.patient_name} `,
              h('small', {}, a.patient_mrn),
            ),
            h('td', { 'data-label': 'Provider' }, a.provider_name),
            showFacility && h('td', { 'data-label': 'Facility' }, a.facility_name),
            h('td', { 'data-label': 'Type' }, humanize(a.appointment_type)),
            h('td', { 'data-label': 'Status' }, statusBadge(a)),
          ),
        ),
      ),
    ),
  );
}

/** A compact card: who, when (in the facility's zone), where, status. */
export function appointmentCard(a: Appointment, ...extra: (Node | null | false)[]): HTMLElement {
  return h(
    'section',
    { class: 'card appt', 'aria-label': `Appointment of ${a.patient_name}` },
    h('h3', {}, h('a', { href: `#/appointments/${a.id}` }, a.patient_name), ' ', statusBadge(a)),
    h(
      'dl',
      {},
      h('dt', {}, 'When'),
      h(
        'dd',
        {},
        rangeLabel(a.start_time, a.end_time, a.facility_timezone),
        h('small', { class: 'zone' }, ` ${a.facility_timezone}`),
      ),
      h('dt', {}, 'Provider'),
      h('dd', {}, a.provider_name),
      h('dt', {}, 'Facility'),
      h('dd', {}, a.facility_name),
      h('dt', {}, 'Patient ID'),
      h('dd', {}, a.patient_mrn),
      h('dt', {}, 'Type'),
      h('dd', {}, humanize(a.appointment_type)),
      a.reason && h('dt', {}, 'Reason'),
      a.reason && h('dd', {}, a.reason),
    ),
    ...extra.filter((x): x is Node => Boolean(x)),
  );
}

/**
 * An inline "are you sure" in `panel` (no modal dialog: it stays in the tab order). "Yes,
 * cancel it" runs `onYes`; "Keep it" closes and gives the focus back to `back`.
 */
export function confirmCancel(
  panel: HTMLElement,
  question: string,
  onYes: () => void,
  back: HTMLElement,
): void {
  const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, cancel it');
  const no = h('button', { type: 'button' }, 'Keep it');
  yes.addEventListener('click', () => {
    panel.replaceChildren();
    onYes();
  });
  no.addEventListener('click', () => {
    panel.replaceChildren();
    back.focus();
  });
  panel.replaceChildren(
    h(
      'div',
      { class: 'confirm', role: 'group', 'aria-label': 'Confirm cancellation' },
      h('p', {}, question),
      h('div', { class: 'actions' }, yes, no),
    ),
  );
  yes.focus();
}
