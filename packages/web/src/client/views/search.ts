/**
 * Appointments across every facility by patient name, patient ID or provider, filtered by
 * facility and status; newest first, 20 a page, each time in its own facility's zone.
 */
import { ApiError, describeError, get, qs, type Page } from '../api';
import { appointmentTable } from '../components';
import { field, h, notice, select } from '../dom';
import type { ViewContext } from '../routes';
import { current, onLogout } from '../state';
import { STATUS_LABEL, type Appointment, type Status } from '../types';

const PAGE_SIZE = 20;

interface Query {
  q: string;
  facility: string;
  status: string;
  page: number;
}

// Kept for the session, so coming back to Search shows the same results.
let last: Query = { q: '', facility: '', status: '', page: 1 };
onLogout(() => {
  last = { q: '', facility: '', status: '', page: 1 };
});

export async function searchView(_ctx: ViewContext): Promise<Node> {
  const state = current();
  if (last.facility && !state.facilities.some((f) => f.id === last.facility)) {
    last = { ...last, facility: '', page: 1 };
  }

  const input = h('input', { type: 'search', name: 'q', autocomplete: 'off', value: last.q });
  const facility = select(
    { name: 'facility' },
    [
      { value: '', label: 'All facilities' },
      ...state.facilities.map((f) => ({ value: f.id, label: f.name })),
    ],
    last.facility,
  );
  const status = select(
    { name: 'status' },
    [
      { value: '', label: 'Any status' },
      ...(Object.keys(STATUS_LABEL) as Status[]).map((s) => ({ value: s, label: STATUS_LABEL[s] })),
    ],
    last.status,
  );
  const form = h(
    'form',
    { role: 'search', 'aria-label': 'Search appointments', class: 'toolbar', novalidate: true },
    field('Search', input, 'Patient name, patient ID or provider'),
    field('Facility', facility),
    field('Status', status),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')),
  );

  const messages = h('div', { class: 'messages' });
  const count = h('p', { role: 'status', class: 'result-count', tabindex: -1 });
  const results = h('div', { class: 'results' });
  const previous = h('button', { type: 'button', hidden: true }, 'Previous page');
  const next = h('button', { type: 'button', hidden: true }, 'Next page');
  const where = h('span', { class: 'hint' });
  const pager = h(
    'nav',
    { class: 'actions pager', 'aria-label': 'Result pages' },
    previous,
    where,
    next,
  );

  let generation = 0;
  const run = async (query: Query): Promise<void> => {
    generation += 1;
    const mine = generation;
    last = query;
    count.textContent = 'Searching…';
    results.setAttribute('aria-busy', 'true');
    try {
      let page: Page<Appointment>;
      const fetchPage = (n: number) =>
        get<Page<Appointment>>(
          `/appointments/${qs({
            search: query.q,
            facility: query.facility,
            status: query.status,
            ordering: '-start_time',
            page: n,
            page_size: PAGE_SIZE,
          })}`,
        );
      try {
        page = await fetchPage(query.page);
      } catch (err) {
        // Past the end (the list shrank since): start again from the first page.
        if (!(err instanceof ApiError && err.status === 404 && query.page > 1)) throw err;
        query = { ...query, page: 1 };
        last = query;
        page = await fetchPage(1);
      }
      if (mine !== generation) return;
      messages.replaceChildren();
      count.textContent = `${page.count} appointment${page.count === 1 ? '' : 's'} found`;
      results.replaceChildren(
        appointmentTable(page.results, {
          caption: 'Search results',
          showFacility: true,
          empty: 'No appointment matches. Try part of a name, or another facility or status.',
        }),
      );
      const pages = Math.max(1, Math.ceil(page.count / PAGE_SIZE));
      previous.hidden = !page.previous;
      next.hidden = !page.next;
      where.textContent = pages > 1 ? `Page ${query.page} of ${pages}` : '';
      pager.hidden = pages <= 1;
    } catch (err) {
      if (mine !== generation) return;
      count.textContent = '';
      messages.replaceChildren(notice('alert', ...describeError(err)));
    } finally {
      if (mine === generation) results.removeAttribute('aria-busy');
    }
  };

  const turn = (by: number, button: HTMLButtonElement) => {
    void run({ ...last, page: last.page + by }).then(() => {
      // Keep the keyboard where it was; if that button is gone, go to the new count.
      if (button.hidden) {
        const other = button === next ? previous : next;
        if (!other.hidden) other.focus();
        else count.focus();
      }
    });
  };
  previous.addEventListener('click', () => turn(-1, previous));
  next.addEventListener('click', () => turn(1, next));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run({ q: input.value.trim(), facility: facility.value, status: status.value, page: 1 });
  });

  await run(last);
  return h(
    'section',
    { class: 'search' },
    h('h1', {}, 'Search appointments'),
    form,
    messages,
    count,
    results,
    pager,
  );
}
