/**
 * Central's conflict queue: late conflicts (overlaps no single clinic could see, and edits
 * that lost to a concurrent one), open first, oldest first. An admin cancels or moves one
 * of the two appointments (the server then resolves the conflict by itself once the overlap
 * is gone) or resolves it with a note that says what was decided.
 */
import { describeError, getAll, patch, post } from '../api';
import { appointmentCard, confirmCancel } from '../components';
import { field, h, notice, select } from '../dom';
import type { ViewContext } from '../routes';
import { moveSlot } from '../slot';
import { current, facilityById, onLogout, personName, zoneOf } from '../state';
import { dateTimeLabel, LOCAL_ZONE, rangeLabel } from '../time';
import {
  CONFLICT_KIND_LABEL,
  humanize,
  STATUS_LABEL,
  type Appointment,
  type Conflict,
  type NodeInfo,
  type Status,
} from '../types';
import { unknownAppointment, withAppointments } from './conflicts';

type Show = 'open' | 'resolved' | 'all';

const EMPTY: Record<Show, string> = {
  open: 'No open conflicts.',
  resolved: 'No resolved conflicts.',
  all: 'No conflicts.',
};

// Kept for the session, so coming back to the queue shows the same filter.
let shown: Show = 'open';
onLogout(() => {
  shown = 'open';
});

async function fetchConflicts(show: Show): Promise<Conflict[]> {
  if (show !== 'all') return getAll<Conflict>(`/conflicts/?status=${show}`);
  const [open, resolved] = await Promise.all([
    getAll<Conflict>('/conflicts/?status=open'),
    getAll<Conflict>('/conflicts/?status=resolved'),
  ]);
  return [...open, ...resolved];
}

const REGISTER_LABEL: Record<string, string> = {
  slot: 'Time, place, provider or patient',
  details: 'Type and reason',
  status: 'Status',
  deleted: 'Deletion',
};

function instant(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * One register's value in words (times in the facility's zone). Who and where are named
 * only when they differ from `other` (the competing value), so the difference stands out.
 */
function valueText(value: unknown, other: unknown, a: Appointment): string {
  if (!value || typeof value !== 'object') return '—';
  const v = value as Record<string, unknown>;
  const o = (other && typeof other === 'object' ? other : {}) as Record<string, unknown>;
  const differs = (key: string) => typeof v[key] === 'string' && v[key] !== o[key];
  const parts: string[] = [];
  const facility = typeof v.facility === 'string' ? v.facility : a.facility;
  const zone = facility === a.facility ? a.facility_timezone : zoneOf(facility);
  const start = instant(v.start_time);
  const end = instant(v.end_time);
  if (start !== undefined && end !== undefined) {
    parts.push(
      `${rangeLabel(new Date(start).toISOString(), new Date(end).toISOString(), zone)} (${zone})`,
    );
  }
  if (differs('provider')) {
    const p = current().providers.find((u) => u.id === v.provider);
    const name = v.provider === a.provider ? a.provider_name : p ? personName(p) : undefined;
    parts.push(name ? `with ${name}` : 'with another provider');
  }
  if (differs('facility')) {
    const name =
      v.facility === a.facility ? a.facility_name : facilityById(String(v.facility))?.name;
    parts.push(name ? `at ${name}` : 'at another facility');
  }
  if (differs('patient')) {
    parts.push(v.patient === a.patient ? `for ${a.patient_name}` : 'for another patient');
  }
  if (typeof v.appointment_type === 'string') parts.push(humanize(v.appointment_type));
  if ('reason' in v) parts.push(typeof v.reason === 'string' && v.reason ? v.reason : 'no reason');
  if (typeof v.status === 'string') parts.push(STATUS_LABEL[v.status as Status] ?? v.status);
  if ('deleted_at' in v) {
    const at = instant(v.deleted_at);
    parts.push(at === undefined ? 'not deleted' : `deleted ${dateTimeLabel(at, LOCAL_ZONE)}`);
  }
  return parts.length ? parts.join(', ') : JSON.stringify(value);
}

function editDetails(c: Conflict, a: Appointment | string, nodes: Map<string, string>) {
  const d = c.details;
  const register = typeof d.register === 'string' ? d.register : undefined;
  const node = typeof d.node === 'string' ? d.node : undefined;
  const appt = typeof a === 'string' ? undefined : a;
  return h(
    'dl',
    { class: 'facts edit-details' },
    register && h('dt', {}, 'Changed'),
    register && h('dd', {}, REGISTER_LABEL[register] ?? humanize(register)),
    h('dt', {}, 'Lost value'),
    h(
      'dd',
      {},
      appt
        ? valueText(d.losing_value, d.winning_value, appt)
        : JSON.stringify(d.losing_value ?? null),
    ),
    'winning_value' in d && h('dt', {}, 'Kept value'),
    'winning_value' in d &&
      h(
        'dd',
        {},
        appt ? valueText(d.winning_value, d.losing_value, appt) : JSON.stringify(d.winning_value),
      ),
    node && h('dt', {}, 'Found in a push from'),
    node && h('dd', {}, nodes.get(node) ?? `${node.slice(0, 8)}…`),
  );
}

export async function centralConflictsView(ctx: ViewContext): Promise<Node> {
  const heading = h('h1', { tabindex: -1 }, 'Conflicts');
  const messages = h('div', { class: 'messages' });
  const list = h('div', { class: 'conflict-list' });
  const show = select(
    {},
    [
      { value: 'open', label: 'Open' },
      { value: 'resolved', label: 'Resolved' },
      { value: 'all', label: 'All' },
    ],
    shown,
  );
  let nodeNames: Map<string, string> | undefined;
  // Only one "Move" panel is open at a time (its fields' labels stay unique on the page).
  let closeMove: (() => void) | undefined;
  let generation = 0;

  const names = async (): Promise<Map<string, string>> => {
    if (nodeNames) return nodeNames;
    try {
      const nodes = await getAll<NodeInfo>('/nodes/');
      nodeNames = new Map(nodes.map((n) => [n.id, n.name]));
    } catch {
      nodeNames = new Map();
    }
    return nodeNames;
  };

  /** Re-reads the list; keeps focus on the page when the focused control went away. */
  const refresh = async () => {
    const active = document.activeElement;
    const hadFocus = !active || active === document.body || list.contains(active);
    try {
      await fill();
    } catch (err) {
      list.replaceChildren(notice('alert', ...describeError(err)));
    }
    if (hadFocus && !list.contains(document.activeElement)) heading.focus();
  };

  const article = (c: Conflict, appts: (Appointment | string)[], nodes: Map<string, string>) => {
    const label = `${CONFLICT_KIND_LABEL[c.kind]} detected ${dateTimeLabel(Date.parse(c.detected_at), LOCAL_ZONE)}`;
    const open = c.status === 'open';

    const card = (a: Appointment | string) => {
      if (typeof a === 'string') return unknownAppointment(a);
      if (!open || a.status !== 'scheduled') return appointmentCard(a);
      const cardMessages = h('div', { class: 'messages' });
      const panel = h('div', { class: 'panel' });
      const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel this one');
      const move = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Move this one');
      const actions = h('div', { class: 'actions' }, cancel, move);
      const el = appointmentCard(a, actions, cardMessages, panel);
      const busy = (on: boolean) => {
        for (const b of el.querySelectorAll('button')) b.disabled = on;
      };

      // Cancelling notifies the patient and the provider: ask once, inline.
      cancel.addEventListener('click', () => {
        move.setAttribute('aria-expanded', 'false');
        confirmCancel(
          panel,
          `Cancel ${a.patient_name}'s appointment? The patient and provider are notified.`,
          doCancel,
          cancel,
        );
      });
      const doCancel = () => {
        void (async () => {
          busy(true);
          cardMessages.replaceChildren(notice('status', 'Cancelling…'));
          try {
            await post<Appointment>(`/appointments/${a.id}/cancel/`);
            ctx.wrote();
            messages.replaceChildren(
              notice(
                'status',
                c.kind === 'edit'
                  ? 'Appointment cancelled. An edit conflict stays open until you resolve it with a note.'
                  : 'Appointment cancelled; the conflict resolves itself once the overlap is gone.',
              ),
            );
            await refresh();
          } catch (err) {
            cardMessages.replaceChildren(notice('alert', ...describeError(err)));
            busy(false);
            cancel.focus();
          }
        })();
      };

      const close = () => {
        move.setAttribute('aria-expanded', 'false');
        panel.replaceChildren();
        if (closeMove === close) closeMove = undefined;
      };
      move.addEventListener('click', () => {
        if (move.getAttribute('aria-expanded') === 'true') {
          close();
          move.focus();
          return;
        }
        closeMove?.();
        closeMove = close;
        move.setAttribute('aria-expanded', 'true');
        cardMessages.replaceChildren();
        const slot = moveSlot(a);
        const moveMessages = h('div', { class: 'messages' });
        const save = h('button', { type: 'submit', class: 'primary' }, 'Save move');
        const form = h(
          'form',
          { class: 'reschedule', novalidate: true, 'aria-label': `Move ${a.patient_name}` },
          slot.fields,
          slot.result,
          moveMessages,
          h('div', { class: 'actions' }, save),
        );
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          const when = slot.value();
          if (!when) {
            moveMessages.replaceChildren(notice('alert', 'Fill in the new date and start time.'));
            return;
          }
          void (async () => {
            busy(true);
            moveMessages.replaceChildren(notice('status', 'Moving…'));
            try {
              await patch<Appointment>(`/appointments/${a.id}/`, when);
              ctx.wrote();
              messages.replaceChildren(
                notice(
                  'status',
                  c.kind === 'edit'
                    ? 'Appointment moved. An edit conflict stays open until you resolve it with a note.'
                    : 'Appointment moved',
                ),
              );
              closeMove = undefined;
              await refresh();
            } catch (err) {
              moveMessages.replaceChildren(notice('alert', ...describeError(err)));
              busy(false);
              save.focus();
            }
          })();
        });
        panel.replaceChildren(form);
        slot.recheck();
        form.querySelector('input')?.focus();
      });

      return el;
    };

    const resolveForm = () => {
      const note = h('textarea', { rows: 3, maxlength: 2000 });
      const formMessages = h('div', { class: 'messages' });
      const submit = h('button', { type: 'submit', class: 'primary' }, 'Resolve with note');
      const form = h(
        'form',
        { class: 'resolve', novalidate: true },
        field('Resolution note', note, 'What was decided, for the record.'),
        formMessages,
        h('div', { class: 'actions' }, submit),
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const resolution = note.value.trim();
        if (!resolution) {
          note.setAttribute('aria-invalid', 'true');
          formMessages.replaceChildren(notice('alert', 'Write a note that says what was decided.'));
          note.focus();
          return;
        }
        note.removeAttribute('aria-invalid');
        void (async () => {
          submit.disabled = true;
          formMessages.replaceChildren(notice('status', 'Resolving…'));
          try {
            await post<Conflict>(`/conflicts/${c.id}/resolve/`, { resolution });
            messages.replaceChildren(notice('status', 'Conflict resolved'));
            await refresh();
          } catch (err) {
            formMessages.replaceChildren(notice('alert', ...describeError(err)));
            submit.disabled = false;
            submit.focus();
          }
        })();
      });
      return form;
    };

    return h(
      'article',
      { class: `conflict ${c.status}`, 'aria-label': label, id: `conflict-${c.id}` },
      h('h2', {}, label),
      !open &&
        h(
          'dl',
          { class: 'facts resolution' },
          h('dt', {}, 'Resolved'),
          h('dd', {}, c.resolved_at ? dateTimeLabel(Date.parse(c.resolved_at), LOCAL_ZONE) : '—'),
          h('dt', {}, 'Resolution'),
          h('dd', {}, c.resolution || '—'),
        ),
      c.kind === 'edit' && editDetails(c, appts[0] ?? '', nodes),
      h('div', { class: 'pair' }, appts.map(card)),
      open && resolveForm(),
    );
  };

  const fill = async () => {
    generation += 1;
    const mine = generation;
    const which = shown;
    const conflicts = await fetchConflicts(which);
    const [withAppts, nodes] = await Promise.all([
      withAppointments(conflicts),
      conflicts.some((c) => c.kind === 'edit') ? names() : Promise.resolve(new Map()),
    ]);
    if (mine !== generation) return;
    closeMove = undefined;
    list.replaceChildren(
      ...(withAppts.length
        ? withAppts.map(({ c, appts }) => article(c, appts, nodes))
        : [h('p', { class: 'empty' }, EMPTY[which])]),
    );
  };

  show.addEventListener('change', () => {
    shown = show.value as Show;
    messages.replaceChildren();
    list.setAttribute('aria-busy', 'true');
    void refresh().finally(() => list.removeAttribute('aria-busy'));
  });

  await fill();
  return h(
    'section',
    { class: 'central-conflicts' },
    heading,
    messages,
    h(
      'p',
      { class: 'hint' },
      'Late conflicts are overlaps no single clinic could see: two nodes booked the same provider, patient or room while apart, or changed one appointment in two places at once. Both bookings are kept. Cancel or move one of the two (the conflict then resolves itself), or resolve it with a note.',
    ),
    h('div', { class: 'toolbar' }, field('Show', show)),
    list,
  );
}
