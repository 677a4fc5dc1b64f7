/**
 * One appointment: when (in its facility's zone), who, where, its sync state on a clinic
 * node, open late conflicts, notices sent; and the actions a scheduled one allows:
 * reschedule (with the live conflict check), cancel (confirmed inline), complete, no-show.
 */
import { describeError, get, patch, post } from '../api';
import { confirmCancel, statusBadge } from '../components';
import { h, mount, notice } from '../dom';
import { takeFlash } from '../flash';
import type { ViewContext } from '../routes';
import { moveSlot } from '../slot';
import { dateTimeLabel, LOCAL_ZONE, rangeLabel } from '../time';
import { CONFLICT_KIND_LABEL, humanize, type AppointmentDetail } from '../types';

function syncText(a: AppointmentDetail): string | undefined {
  if (!a.sync) return undefined;
  if (a.sync.state === 'pending') return 'Waiting to sync';
  if (a.sync.state === 'synced') return 'Synced';
  return `Rejected by central: ${a.sync.message ?? a.sync.code ?? 'no reason given'}`;
}

export async function appointmentView(ctx: ViewContext): Promise<Node> {
  const id = ctx.params[0]!;
  const container = h('section', { class: 'appointment' });
  const messages = h('div', { class: 'messages' });
  const flash = takeFlash();
  if (flash) messages.append(notice('status', flash));

  const render = (a: AppointmentDetail) => {
    const zone = a.facility_timezone;
    const sync = syncText(a);
    const actions = h('div', { class: 'actions' });
    const panel = h('div', { class: 'panel' });

    const act = async (label: string, run: () => Promise<AppointmentDetail>, done: string) => {
      for (const b of actions.querySelectorAll('button')) b.disabled = true;
      messages.replaceChildren(notice('status', `${label}…`));
      try {
        const changed = await run();
        ctx.wrote();
        messages.replaceChildren(notice('status', done));
        render(changed);
      } catch (err) {
        messages.replaceChildren(notice('alert', ...describeError(err)));
        for (const b of actions.querySelectorAll('button')) b.disabled = false;
      }
    };

    if (a.status === 'scheduled') {
      const reschedule = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Reschedule');
      const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel appointment');
      const complete = h('button', { type: 'button' }, 'Mark completed');
      const noShow = h('button', { type: 'button' }, 'Mark no-show');
      actions.append(reschedule, cancel, complete, noShow);

      reschedule.addEventListener('click', () => {
        if (reschedule.getAttribute('aria-expanded') === 'true') {
          reschedule.setAttribute('aria-expanded', 'false');
          panel.replaceChildren();
          return;
        }
        reschedule.setAttribute('aria-expanded', 'true');
        const slot = moveSlot(a);
        const save = h('button', { type: 'submit', class: 'primary' }, 'Save new time');
        const form = h(
          'form',
          { class: 'reschedule', novalidate: true },
          h('h2', {}, 'New time'),
          slot.fields,
          slot.result,
          h('div', { class: 'actions' }, save),
        );
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          const when = slot.value();
          if (!when) {
            messages.replaceChildren(notice('alert', 'Fill in the new date and start time.'));
            return;
          }
          // One PATCH per click, however quick the second click.
          save.disabled = true;
          void act(
            'Moving',
            () => patch<AppointmentDetail>(`/appointments/${a.id}/`, when),
            'Appointment rescheduled',
          ).finally(() => {
            save.disabled = false;
          });
        });
        panel.replaceChildren(form);
        slot.recheck();
        form.querySelector('input')?.focus();
      });

      cancel.addEventListener('click', () =>
        confirmCancel(
          panel,
          'Cancel this appointment? The patient and provider are notified.',
          () =>
            void act(
              'Cancelling',
              () => post<AppointmentDetail>(`/appointments/${a.id}/cancel/`),
              'Appointment cancelled',
            ),
          cancel,
        ),
      );
      complete.addEventListener(
        'click',
        () =>
          void act(
            'Saving',
            () => post<AppointmentDetail>(`/appointments/${a.id}/complete/`),
            'Marked completed',
          ),
      );
      noShow.addEventListener(
        'click',
        () =>
          void act(
            'Saving',
            () => post<AppointmentDetail>(`/appointments/${a.id}/mark-no-show/`),
            'Marked no-show',
          ),
      );
    }

    const conflicts = a.conflicts ?? [];
    mount(
      container,
      h('p', { class: 'crumbs' }, h('a', { href: '#/schedule' }, '← Schedule')),
      h('h1', {}, a.patient_name),
      messages,
      h(
        'div',
        { class: 'card' },
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Status'),
          h('dd', { class: 'status-text' }, statusBadge(a)),
          h('dt', {}, 'When'),
          h(
            'dd',
            {},
            rangeLabel(a.start_time, a.end_time, zone),
            ' ',
            h('small', { class: 'zone' }, zone),
          ),
          h('dt', {}, 'Duration'),
          h('dd', {}, `${a.duration_minutes} minutes`),
          h('dt', {}, 'Patient ID'),
          h('dd', {}, a.patient_mrn),
          h('dt', {}, 'Provider'),
          h('dd', {}, a.provider_name),
          h('dt', {}, 'Facility'),
          h('dd', {}, a.facility_name),
          h('dt', {}, 'Type'),
          h('dd', {}, humanize(a.appointment_type)),
          h('dt', {}, 'Reason'),
          h('dd', {}, a.reason || '—'),
          sync && h('dt', {}, 'Sync'),
          sync && h('dd', { class: a.sync?.state === 'rejected' ? 'warn' : '' }, sync),
        ),
      ),
      conflicts.length > 0 &&
        h(
          'div',
          { class: 'notice error', role: 'note' },
          h(
            'p',
            {},
            `This appointment is in ${conflicts.length} open late conflict${conflicts.length === 1 ? '' : 's'}: `,
          ),
          h(
            'ul',
            {},
            conflicts.map((c) =>
              h(
                'li',
                {},
                `${CONFLICT_KIND_LABEL[c.kind]}, found ${dateTimeLabel(Date.parse(c.detected_at), LOCAL_ZONE)}. `,
                h('a', { href: '#/conflicts' }, 'See conflicts'),
              ),
            ),
          ),
        ),
      actions.childElementCount > 0 && actions,
      panel,
      h('h2', {}, 'Notices sent'),
      a.notifications_sent.length
        ? h(
            'ul',
            { class: 'notices' },
            a.notifications_sent.map((n) =>
              h(
                'li',
                {},
                `${humanize(n.event)} to the ${n.recipient} by ${n.method}, ${dateTimeLabel(Date.parse(n.sent_at), zone)}`,
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'None delivered yet.'),
    );
  };

  render(await get<AppointmentDetail>(`/appointments/${id}/`));
  return container;
}
