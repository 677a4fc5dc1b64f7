/**
 * The words of every notification: an email (subject, plain text, HTML) and a one-segment SMS
 * per event and recipient. Times are shown in the facility's zone with its short name.
 *
 * What each recipient sees is what they need: the patient gets their own appointment (never
 * another patient's name); the provider gets the patient, type and reason (no reason in a
 * conflict, which also goes to the other appointment's provider); an admin gets who and when
 * but not the reason. No SMS carries the reason, and no subject carries a name.
 */
import type { NotificationEvent, NotificationRecipient } from '@clinic/domain';
import type { MessageContext } from './types';
import { fitSms, fitsOneSms, graphemesOf, simplifyForGsm7 } from './sms-text';
import { timeRange } from './zoned-time';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const SUBJECT_LABEL: Record<NotificationEvent, string> = {
  created: 'Appointment booked',
  updated: 'Appointment changed',
  cancelled: 'Appointment cancelled',
  reminder: 'Appointment reminder',
  conflict: 'Scheduling conflict',
};

const CONFLICT_KIND_TEXT: Record<string, string> = {
  provider: 'the same provider is booked twice at the same time',
  patient: 'the same patient is booked twice at the same time',
  facility: 'the facility is booked beyond its capacity',
  edit: 'two offline edits of the same appointment disagree',
};

const RESOLVE_ON_CENTRAL =
  'Both are kept as they are for now: a regional admin must resolve the conflict on central.';

/** One block of label/value rows, with an optional title. */
interface Section {
  title?: string;
  rows: Array<[label: string, value: string]>;
}

/** An email before it is written out as text and as HTML (values are raw, unescaped). */
interface EmailBody {
  greeting: string;
  intro: string[];
  sections: Section[];
  closing: string[];
}

export function renderEmail(ctx: MessageContext): RenderedEmail {
  const a = ctx.appointment;
  const when = timeRange(a.start_time, a.end_time, a.facility_timezone);
  const body = emailBody(ctx);
  return {
    subject: `${SUBJECT_LABEL[ctx.event]}: ${when.date}`,
    text: emailText(body),
    html: emailHtml(SUBJECT_LABEL[ctx.event], body),
  };
}

function emailBody(ctx: MessageContext): EmailBody {
  const a = ctx.appointment;
  const facility = a.facility_name;
  const greeting = greetingFor(ctx);
  const own = appointmentRows(ctx);
  const closing = ['This message was sent by the clinic scheduling system. Please do not reply.'];

  if (ctx.event === 'conflict') {
    const kind = ctx.conflict?.kind ?? '';
    const kindText = CONFLICT_KIND_TEXT[kind] ?? kind;
    if (ctx.recipient === 'patient') {
      return {
        greeting,
        intro: [
          kind === 'edit'
            ? `Your appointment at ${facility} was changed in two places at once.`
            : `Your appointment at ${facility} overlaps with another booking.`,
          'The clinic will contact you if it has to move; until then nothing changes.',
        ],
        sections: [{ rows: own }],
        closing,
      };
    }
    const other = ctx.conflict?.other;
    const sections: Section[] = other
      ? [
          { title: kind === 'edit' ? 'Kept version' : 'First appointment', rows: own },
          {
            title: kind === 'edit' ? 'Other version' : 'Second appointment',
            rows: otherRows(other, a.facility_timezone),
          },
        ]
      : [{ title: 'Appointment', rows: own }];
    const because = kindText ? `: ${kindText}` : '';
    const intro =
      ctx.recipient === 'provider' && kind !== 'edit'
        ? `Two appointments at ${facility} overlap, at least one of them yours${because}.`
        : `A scheduling conflict was found at ${facility}${because}.`;
    return { greeting, intro: [intro, RESOLVE_ON_CENTRAL], sections, closing };
  }

  const intro = introFor(ctx.event, ctx.recipient, facility);
  if (ctx.recipient === 'patient') {
    closing.unshift(
      ctx.event === 'cancelled'
        ? 'To book a new appointment, please contact the clinic.'
        : 'If you cannot come, please contact the clinic.',
    );
  }
  return { greeting, intro: [intro], sections: [{ rows: own }], closing };
}

function greetingFor(ctx: MessageContext): string {
  const name =
    ctx.recipient === 'patient'
      ? ctx.appointment.patient_name
      : ctx.recipient === 'provider'
        ? ctx.appointment.provider_name
        : '';
  return name.trim() ? `Dear ${name.trim()},` : 'Hello,';
}

function introFor(
  event: Exclude<NotificationEvent, 'conflict'>,
  recipient: NotificationRecipient,
  facility: string,
): string {
  if (recipient === 'patient') {
    switch (event) {
      case 'created':
        return `Your appointment at ${facility} is booked.`;
      case 'updated':
        return `Your appointment at ${facility} has changed. The new details are below.`;
      case 'cancelled':
        return `Your appointment at ${facility} has been cancelled.`;
      case 'reminder':
        return `This is a reminder of your appointment at ${facility}.`;
    }
  }
  if (recipient === 'provider') {
    switch (event) {
      case 'created':
        return `A new appointment was booked with you at ${facility}.`;
      case 'updated':
        return `One of your appointments at ${facility} has changed. The new details are below.`;
      case 'cancelled':
        return `An appointment with you at ${facility} has been cancelled.`;
      case 'reminder':
        return `Reminder: you have an appointment at ${facility}.`;
    }
  }
  switch (event) {
    case 'created':
      return `An appointment was booked at ${facility}.`;
    case 'updated':
      return `An appointment at ${facility} has changed. The new details are below.`;
    case 'cancelled':
      return `An appointment at ${facility} has been cancelled.`;
    case 'reminder':
      return `Reminder of an appointment at ${facility}.`;
  }
}

/** The rows of the context's own appointment, as this recipient may see them. */
function appointmentRows(ctx: MessageContext): Array<[string, string]> {
  const a = ctx.appointment;
  const when = timeRange(a.start_time, a.end_time, a.facility_timezone);
  const head: Array<[string, string]> = [
    ['Date', when.date],
    ['Time', when.range],
    ['Facility', a.facility_name],
  ];
  switch (ctx.recipient) {
    case 'patient':
      return present([
        ...head,
        ['With', a.provider_name],
        ['Type', a.appointment_type],
        ['Reason', a.reason],
      ]);
    case 'provider':
      // A conflict also goes to the provider of the other appointment: no reason there.
      return present([
        ...head,
        ['Provider', a.provider_name],
        ['Patient', a.patient_name],
        ['Type', a.appointment_type],
        ['Reason', ctx.event === 'conflict' ? '' : a.reason],
      ]);
    case 'admin':
      return present([
        ...head,
        ['Provider', a.provider_name],
        ['Patient', a.patient_name],
        ['Type', a.appointment_type],
      ]);
  }
}

/** The other appointment of a conflict: when, who (only for providers and admins). */
function otherRows(
  other: NonNullable<MessageContext['conflict']>['other'],
  timeZone: string,
): Array<[string, string]> {
  const when = timeRange(other.start_time, other.end_time, timeZone);
  return present([
    ['Date', when.date],
    ['Time', when.range],
    ['Provider', other.provider_name],
    ['Patient', other.patient_name],
  ]);
}

function present(rows: Array<[string, string]>): Array<[string, string]> {
  return rows.filter(([, value]) => value.trim() !== '');
}

function emailText(body: EmailBody): string {
  const blocks = [body.greeting, ...body.intro];
  for (const section of body.sections) {
    const width = Math.max(...section.rows.map(([label]) => label.length)) + 1;
    const rows = section.rows.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`);
    blocks.push([...(section.title ? [section.title] : []), ...rows].join('\n'));
  }
  blocks.push(...body.closing);
  return `${blocks.join('\n\n')}\n`;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] ?? ch);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function emailHtml(title: string, body: EmailBody): string {
  const e = escapeHtml;
  const lines = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8">',
    `<title>${e(title)}</title>`,
    '</head>',
    '<body style="font-family: sans-serif; line-height: 1.4">',
    `<p>${e(body.greeting)}</p>`,
    ...body.intro.map((p) => `<p>${e(p)}</p>`),
  ];
  for (const section of body.sections) {
    if (section.title) lines.push(`<h3>${e(section.title)}</h3>`);
    lines.push('<table role="presentation" cellpadding="4">');
    for (const [label, value] of section.rows) {
      lines.push(`<tr><th align="left">${e(label)}</th><td>${e(value)}</td></tr>`);
    }
    lines.push('</table>');
  }
  lines.push(...body.closing.map((p) => `<p>${e(p)}</p>`), '</body>', '</html>');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- SMS

/** The parts of an SMS that may be shortened, least important first when it comes to that. */
interface SmsFields {
  facility: string;
  provider: string;
  patient: string;
  type: string;
}

/** Fields and when ("Wed 15 Jan 2025 13:00-13:30 EAT") to the text. */
type SmsTemplate = (f: SmsFields, when: string) => string;

/** Shortening steps, in order: a field and the fewest characters it keeps at that step. */
const SOFT_STEPS: Array<[keyof SmsFields, number]> = [
  ['type', 0],
  ['patient', 12],
  ['provider', 12],
  ['facility', 20],
];
/** Then, if still too long: names go, the facility keeps a stub. */
const HARD_STEPS: Array<[keyof SmsFields, number]> = [
  ...SOFT_STEPS,
  ['patient', 0],
  ['provider', 0],
  ['facility', 8],
];

/**
 * A one-segment SMS. When the names make it too long they are shortened (type first, then
 * the patient's and provider's names, then the facility's) so that the date, time and
 * facility stay; then a terser wording without the year is tried, then dropping the names,
 * and cutting the end is the last resort.
 */
export function renderSms(ctx: MessageContext): string {
  const a = ctx.appointment;
  const when = timeRange(a.start_time, a.end_time, a.facility_timezone, '-');
  const fields: SmsFields = {
    facility: smsName(a.facility_name),
    provider: smsName(a.provider_name),
    patient: smsName(a.patient_name),
    type: smsName(a.appointment_type),
  };
  const full = smsTemplate(ctx.event, ctx.recipient, false);
  const compact = smsTemplate(ctx.event, ctx.recipient, true);
  const attempts: Array<[(f: SmsFields) => string, Array<[keyof SmsFields, number]>]> = [
    [(f) => full(f, `${when.date} ${when.range}`), SOFT_STEPS],
    [(f) => compact(f, `${when.shortDate} ${when.range}`), SOFT_STEPS],
    [(f) => compact(f, `${when.shortDate} ${when.range}`), HARD_STEPS],
  ];
  let last = '';
  for (const [compose, steps] of attempts) {
    last = compose(shrinkToFit(compose, fields, steps));
    if (fitsOneSms(last)) return last;
  }
  return fitSms(last);
}

function smsName(text: string): string {
  return simplifyForGsm7(text.replace(/\s+/g, ' ').trim());
}

/** The fields, shortened step by step only as far as needed to fit. */
function shrinkToFit(
  compose: (f: SmsFields) => string,
  fields: SmsFields,
  steps: Array<[keyof SmsFields, number]>,
): SmsFields {
  let current = { ...fields };
  if (fitsOneSms(compose(current))) return current;
  for (const [key, min] of steps) {
    const chars = graphemesOf(current[key]);
    if (chars.length <= min) continue;
    const cut = (n: number): SmsFields => ({ ...current, [key]: shorten(chars, n) });
    if (!fitsOneSms(compose(cut(min)))) {
      current = cut(min);
      continue;
    }
    // The longest length of this field that fits (at least `min`, which does).
    let lo = min;
    let hi = chars.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fitsOneSms(compose(cut(mid)))) lo = mid;
      else hi = mid - 1;
    }
    return cut(lo);
  }
  return current;
}

/**
 * At most `n` characters: cut after the last whole word that fits when that keeps most of
 * them, else mid-word; nothing at all under 3 ("Dr Wanjiku Nyambura-Otieno Kamau" -> "Dr
 * Wanjiku").
 */
function shorten(chars: string[], n: number): string {
  if (n >= chars.length) return chars.join('');
  if (n < 3) return '';
  const head = chars.slice(0, n);
  const space = chars[n] === ' ' ? n : head.lastIndexOf(' ');
  const end = space >= Math.ceil(n / 2) ? space : n;
  return head
    .slice(0, end)
    .join('')
    .replace(/[\s,;:.-]+$/, '');
}

function opt(prefix: string, value: string, suffix = ''): string {
  return value ? `${prefix}${value}${suffix}` : '';
}

function smsTemplate(
  event: NotificationEvent,
  recipient: NotificationRecipient,
  compact: boolean,
): SmsTemplate {
  const head = (f: SmsFields) => opt('', f.facility, ': ');
  if (recipient === 'patient') {
    const withWhom = (f: SmsFields) => opt(' with ', f.provider);
    switch (event) {
      case 'created':
        return (f, w) =>
          `${head(f)}${compact ? 'booked' : 'appointment booked'} ${w}${withWhom(f)}.`;
      case 'updated':
        return (f, w) =>
          `${head(f)}${compact ? 'moved to' : 'your appointment is now'} ${w}${withWhom(f)}.`;
      case 'cancelled':
        return (f, w) =>
          compact
            ? `${head(f)}CANCELLED ${w}${withWhom(f)}.`
            : `${head(f)}your appointment ${w}${withWhom(f)} is cancelled.`;
      case 'reminder':
        return (f, w) =>
          `${head(f)}${compact ? 'reminder' : 'reminder of your appointment'} ${w}${withWhom(f)}.`;
      case 'conflict':
        return (f, w) =>
          compact
            ? `${head(f)}your appointment ${w} may move. We will call you.`
            : `${head(f)}your appointment ${w} may have to move. The clinic will contact you.`;
    }
  }
  if (recipient === 'provider') {
    const who = (f: SmsFields) => `${opt(', ', f.patient)}${opt(', ', f.type)}`;
    switch (event) {
      case 'created':
        return (f, w) => `${head(f)}${compact ? 'new' : 'new appointment'} ${w}${who(f)}.`;
      case 'updated':
        return (f, w) =>
          `${head(f)}${compact ? 'moved to' : 'appointment changed to'} ${w}${who(f)}.`;
      case 'cancelled':
        return (f, w) =>
          `${head(f)}${compact ? 'CANCELLED' : 'appointment cancelled'} ${w}${who(f)}.`;
      case 'reminder':
        return (f, w) =>
          `${head(f)}${compact ? 'reminder' : 'reminder of appointment'} ${w}${who(f)}.`;
      case 'conflict':
        return (f, w) =>
          compact
            ? `${head(f)}conflict ${w}. Admin resolves on central.`
            : `${head(f)}scheduling conflict ${w}${opt(', ', f.provider)}. A regional admin must resolve it on central.`;
    }
  }
  switch (event) {
    case 'conflict':
      return (f, w) =>
        compact
          ? `${head(f)}conflict ${w}${opt(', ', f.provider)}. Resolve on central.`
          : `${head(f)}scheduling conflict ${w}${opt(', ', f.provider)}. A regional admin must resolve it on central.`;
    default: {
      const verb = {
        created: 'booked',
        updated: 'changed',
        cancelled: 'cancelled',
        reminder: 'due',
      }[event];
      return (f, w) =>
        compact
          ? `${head(f)}${verb} ${w}${opt(', ', f.provider)}.`
          : `${head(f)}appointment ${verb} ${w}${opt(', ', f.provider)}.`;
    }
  }
}
