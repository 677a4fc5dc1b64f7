/**
 * Book an appointment: facility, provider, patient (search, or register on the spot),
 * type, reason and time. The conflict check runs against the API while the form is
 * filled in; the server's answer on submit is final and its messages are shown as sent.
 */
import { describeError, get, post, type Page } from '../api';
import { debounce, field, h, notice, select } from '../dom';
import { setFlash } from '../flash';
import type { ViewContext } from '../routes';
import { slotPicker } from '../slot';
import { current, defaultFacility, personName, providersAt, zoneOf } from '../state';
import { APPOINTMENT_TYPES, humanize, type Appointment, type Patient } from '../types';

function patientLabel(p: Patient): string {
  return `${p.first_name} ${p.last_name} (${p.patient_id})`;
}

export async function bookView(ctx: ViewContext): Promise<Node> {
  const state = current();
  const messages = h('div', { class: 'messages' });
  let chosen: Patient | undefined;

  // Facility and provider.
  const facility = select(
    { name: 'facility', required: true },
    state.facilities.map((f) => ({ value: f.id, label: f.name })),
    defaultFacility()?.id,
  );
  const provider = h('select', { name: 'provider', required: true });
  const fillProviders = () => {
    const keep = provider.value;
    const list = providersAt(facility.value);
    provider.replaceChildren(
      h('option', { value: '' }, list.length ? 'Choose a provider' : 'No provider works here'),
      ...list.map((p) =>
        h('option', { value: p.id }, `${personName(p)} (${humanize(p.user_type)})`),
      ),
    );
    const me = state.session.user.id;
    if (list.some((p) => p.id === keep)) provider.value = keep;
    else if (list.some((p) => p.id === me)) provider.value = me;
    else if (list.length === 1) provider.value = list[0]!.id;
  };
  fillProviders();

  // Patient: search or register.
  const chosenText = h('p', { class: 'chosen', 'aria-live': 'polite' }, 'No patient chosen yet.');
  const find = h('input', {
    type: 'search',
    autocomplete: 'off',
    placeholder: 'Name or patient ID',
  });
  const results = h('ul', { class: 'picks', 'aria-label': 'Matching patients' });
  const choose = (p: Patient) => {
    chosen = p;
    chosenText.textContent = `Patient: ${patientLabel(p)}`;
    chosenText.classList.add('set');
    results.replaceChildren();
    slot.recheck();
  };
  const search = debounce(async () => {
    const q = find.value.trim();
    if (q.length < 2) {
      results.replaceChildren();
      return;
    }
    try {
      const page = await get<Page<Patient>>(
        `/patients/?search=${encodeURIComponent(q)}&page_size=10`,
      );
      if (find.value.trim() !== q) return;
      const active = page.results.filter((p) => p.is_active);
      results.replaceChildren(
        ...(active.length
          ? active.map((p) =>
              h(
                'li',
                {},
                h(
                  'button',
                  { type: 'button', class: 'pick', onclick: () => choose(p) },
                  `Select ${patientLabel(p)}`,
                ),
              ),
            )
          : [h('li', { class: 'empty' }, 'No patient matches. Register a new one below.')]),
      );
    } catch (err) {
      results.replaceChildren(h('li', {}, notice('alert', ...describeError(err))));
    }
  }, 250);
  find.addEventListener('input', search);

  const reg = {
    mrn: h('input', { autocomplete: 'off', maxlength: 64 }),
    first: h('input', { autocomplete: 'off', maxlength: 150 }),
    last: h('input', { autocomplete: 'off', maxlength: 150 }),
    phone: h('input', { type: 'tel', autocomplete: 'off', maxlength: 32, placeholder: '+254…' }),
    email: h('input', { type: 'email', autocomplete: 'off', maxlength: 254 }),
  };
  const regMessages = h('div', { class: 'messages' });
  const registerButton = h('button', { type: 'button' }, 'Register patient');
  const registerBox = h(
    'fieldset',
    { class: 'register', hidden: true },
    h('legend', {}, 'New patient'),
    h(
      'div',
      { class: 'grid' },
      field('Patient ID (MRN)', reg.mrn),
      field('First name', reg.first),
      field('Last name', reg.last),
      field('Phone', reg.phone),
      field('Email', reg.email),
    ),
    regMessages,
    h('div', { class: 'actions' }, registerButton),
  );
  const toggle = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Register new patient');
  toggle.addEventListener('click', () => {
    const open = registerBox.hidden;
    registerBox.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) reg.mrn.focus();
  });
  registerButton.addEventListener('click', async () => {
    registerButton.disabled = true;
    try {
      const p = await post<Patient>('/patients/', {
        patient_id: reg.mrn.value.trim(),
        first_name: reg.first.value.trim(),
        last_name: reg.last.value.trim(),
        phone_number: reg.phone.value.trim(),
        email: reg.email.value.trim(),
        registered_facility: facility.value || null,
      });
      ctx.wrote();
      choose(p);
      for (const input of Object.values(reg)) input.value = '';
      registerBox.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      regMessages.replaceChildren();
      messages.replaceChildren(notice('status', `Registered ${patientLabel(p)}.`));
    } catch (err) {
      regMessages.replaceChildren(notice('alert', ...describeError(err)));
    } finally {
      registerButton.disabled = false;
    }
  });

  // What and when.
  const type = select(
    { name: 'appointment_type', required: true },
    APPOINTMENT_TYPES.map((t) => ({ value: t, label: humanize(t) })),
    'consultation',
  );
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000 });
  const slot = slotPicker({
    labels: { date: 'Date', time: 'Start time', duration: 'Duration' },
    timeZone: () => zoneOf(facility.value),
    context: () => ({ patient: chosen?.id, provider: provider.value, facility: facility.value }),
    resultId: 'conflict-check',
  });
  facility.addEventListener('change', () => {
    fillProviders();
    slot.recheck();
  });
  provider.addEventListener('change', () => slot.recheck());

  const submit = h('button', { type: 'submit', class: 'primary' }, 'Book appointment');
  const form = h(
    'form',
    { novalidate: true, class: 'book' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Where and with whom'),
      h('div', { class: 'grid' }, field('Facility', facility), field('Provider', provider)),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Patient'),
      field('Find patient', find, 'Type two or more letters of a name or patient ID.'),
      results,
      chosenText,
      h('div', { class: 'actions' }, toggle),
      registerBox,
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Appointment'),
      h('div', { class: 'grid' }, field('Type', type), field('Reason', reason)),
      slot.fields,
      slot.result,
    ),
    messages,
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const when = slot.value();
    const missing = [
      !provider.value && 'Provider: choose one.',
      !chosen && 'Patient: search for one and select them, or register a new patient.',
      !when && 'Date and start time: fill in both.',
    ].filter((x): x is string => Boolean(x));
    if (missing.length || !when || !chosen) {
      messages.replaceChildren(notice('alert', ...missing));
      return;
    }
    submit.disabled = true;
    messages.replaceChildren(notice('status', 'Booking…'));
    try {
      const created = await post<Appointment>('/appointments/', {
        patient: chosen.id,
        provider: provider.value,
        facility: facility.value,
        appointment_type: type.value,
        reason: reason.value.trim(),
        ...when,
      });
      ctx.wrote();
      setFlash('Appointment booked');
      ctx.navigate(`#/appointments/${created.id}`);
    } catch (err) {
      messages.replaceChildren(
        notice('alert', 'The appointment was not booked.', ...describeError(err)),
      );
      submit.disabled = false;
    }
  });

  return h(
    'section',
    {},
    h('h1', {}, 'Book an appointment'),
    state.facilities.length === 0
      ? notice(
          'alert',
          'This node has no facilities yet. It gets them from central on its first sync.',
        )
      : form,
  );
}
