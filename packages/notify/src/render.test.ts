/** Tests of the message templates: subjects, zoned times, escaping, what each recipient sees, SMS fit. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NOTIFICATION_EVENTS, NOTIFICATION_RECIPIENTS } from '@clinic/domain';
import { renderEmail, renderSms } from './render';
import { smsLength } from './sms-text';
import type { MessageContext } from './types';

const START = Date.parse('2025-01-15T10:00:00Z');

function context(overrides: Partial<MessageContext> = {}, appointment = {}): MessageContext {
  return {
    event: 'created',
    recipient: 'patient',
    ...overrides,
    appointment: {
      start_time: START,
      end_time: START + 30 * 60_000,
      appointment_type: 'consultation',
      reason: 'Persistent cough',
      facility_name: 'Hope Clinic',
      facility_timezone: 'Africa/Nairobi',
      provider_name: 'Dr Amina Odhiambo',
      patient_name: 'Jane Wanjiru',
      ...appointment,
    },
  };
}

const conflict = {
  kind: 'provider',
  other: {
    start_time: START + 15 * 60_000,
    end_time: START + 45 * 60_000,
    provider_name: 'Dr Amina Odhiambo',
    patient_name: 'John Kamau',
  },
};

describe('renderEmail', () => {
  it('names the event and the date in the subject', () => {
    const subjects = Object.fromEntries(
      NOTIFICATION_EVENTS.map((event) => [event, renderEmail(context({ event })).subject]),
    );
    expect(subjects).toEqual({
      created: 'Appointment booked: Wed 15 Jan 2025',
      updated: 'Appointment changed: Wed 15 Jan 2025',
      cancelled: 'Appointment cancelled: Wed 15 Jan 2025',
      reminder: 'Appointment reminder: Wed 15 Jan 2025',
      conflict: 'Scheduling conflict: Wed 15 Jan 2025',
    });
  });

  it('shows times in the facility zone with its short name', () => {
    const nairobi = renderEmail(context());
    expect(nairobi.text).toContain('13:00–13:30 EAT');
    expect(nairobi.html).toContain('13:00–13:30 EAT');

    const lagos = renderEmail(context({}, { facility_timezone: 'Africa/Lagos' }));
    expect(lagos.text).toContain('11:00–11:30 WAT');

    // The date is the facility's: 22:30Z on the 15th is already the 16th in Nairobi.
    const late = renderEmail(
      context(
        {},
        {
          start_time: Date.parse('2025-01-15T22:30:00Z'),
          end_time: Date.parse('2025-01-15T23:00:00Z'),
        },
      ),
    );
    expect(late.subject).toBe('Appointment booked: Thu 16 Jan 2025');
    expect(late.text).toContain('01:30–02:00 EAT');

    // Daylight time where the zone has it.
    const summer = renderEmail(
      context(
        {},
        {
          facility_timezone: 'Europe/London',
          start_time: Date.parse('2025-07-01T09:00:00Z'),
          end_time: Date.parse('2025-07-01T09:30:00Z'),
        },
      ),
    );
    expect(summer.text).toContain('10:00–10:30 BST');
  });

  it('falls back to UTC for a zone the runtime does not know', () => {
    const email = renderEmail(context({}, { facility_timezone: 'Mars/Olympus_Mons' }));
    expect(email.text).toContain('10:00–10:30 UTC');
  });

  it('escapes every interpolated value in the HTML and keeps it raw in the text', () => {
    const hostile = '<script>alert("x")</script> & \'quotes\'';
    const email = renderEmail(
      context(
        { recipient: 'provider' },
        {
          reason: hostile,
          patient_name: hostile,
          facility_name: hostile,
          appointment_type: hostile,
          provider_name: hostile,
        },
      ),
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;',
    );
    expect(email.text).toContain(hostile);
    expect(email.subject).not.toContain('<');
  });

  it('adapts the wording and details to the recipient', () => {
    const patient = renderEmail(context({ recipient: 'patient' }));
    expect(patient.text).toContain('Dear Jane Wanjiru,');
    expect(patient.text).toContain('Your appointment at Hope Clinic is booked.');
    expect(patient.text).toMatch(/With: +Dr Amina Odhiambo/);
    expect(patient.text).toMatch(/Reason: +Persistent cough/);

    const provider = renderEmail(context({ recipient: 'provider' }));
    expect(provider.text).toContain('Dear Dr Amina Odhiambo,');
    expect(provider.text).toContain('A new appointment was booked with you at Hope Clinic.');
    expect(provider.text).toMatch(/Patient: +Jane Wanjiru/);
    expect(provider.text).toMatch(/Reason: +Persistent cough/);

    const admin = renderEmail(context({ recipient: 'admin' }));
    expect(admin.text).toContain('Hello,');
    expect(admin.text).not.toContain('Persistent cough');
  });

  it('describes both appointments of a conflict and sends it to central', () => {
    for (const recipient of ['admin', 'provider'] as const) {
      const email = renderEmail(context({ event: 'conflict', recipient, conflict }));
      expect(email.text).toContain('the same provider is booked twice');
      expect(email.text).toContain('a regional admin must resolve the conflict on central');
      expect(email.text).toContain('13:00–13:30 EAT');
      expect(email.text).toContain('13:15–13:45 EAT');
      expect(email.text).toContain('Jane Wanjiru');
      expect(email.text).toContain('John Kamau');
      expect(email.text).not.toContain('Persistent cough');
      expect(email.html).toContain('Second appointment');
    }
  });

  it('never shows a patient the other patient of a conflict', () => {
    const email = renderEmail(context({ event: 'conflict', recipient: 'patient', conflict }));
    expect(email.text).toContain('overlaps with another booking');
    expect(email.text).not.toContain('John Kamau');
    expect(email.html).not.toContain('John Kamau');
  });

  it('words an edit conflict as one appointment changed twice', () => {
    const edit = { kind: 'edit', other: { ...conflict.other, patient_name: 'Jane Wanjiru' } };
    const patient = renderEmail(
      context({ event: 'conflict', recipient: 'patient', conflict: edit }),
    );
    expect(patient.text).toContain('was changed in two places at once');
    const admin = renderEmail(
      context({ event: 'conflict', recipient: 'provider', conflict: edit }),
    );
    expect(admin.text).toContain('two offline edits of the same appointment disagree');
    expect(admin.text).toContain('Kept version');
    expect(admin.text).toContain('Other version');
  });

  it('renders every event for every recipient', () => {
    for (const event of NOTIFICATION_EVENTS) {
      for (const recipient of NOTIFICATION_RECIPIENTS) {
        const email = renderEmail(context({ event, recipient, conflict }));
        expect(email.subject).toMatch(/: Wed 15 Jan 2025$/);
        expect(email.text).toContain('Hope Clinic');
        expect(email.html).toMatch(/^<!DOCTYPE html>/);
      }
    }
  });
});

describe('renderSms', () => {
  it('gives the key details in one line', () => {
    expect(renderSms(context())).toBe(
      'Hope Clinic: appointment booked Wed 15 Jan 2025 13:00-13:30 EAT with Dr Amina Odhiambo.',
    );
    expect(renderSms(context({ event: 'cancelled', recipient: 'provider' }))).toBe(
      'Hope Clinic: appointment cancelled Wed 15 Jan 2025 13:00-13:30 EAT, Jane Wanjiru, consultation.',
    );
  });

  it('never carries the reason, and a patient never sees another name than the provider', () => {
    for (const event of NOTIFICATION_EVENTS) {
      for (const recipient of NOTIFICATION_RECIPIENTS) {
        const sms = renderSms(context({ event, recipient, conflict }));
        expect(sms).not.toContain('cough');
        expect(sms).not.toContain('John Kamau');
        if (recipient !== 'provider') expect(sms).not.toContain('Jane Wanjiru');
      }
    }
  });

  it('shortens long names, keeping the date, time and facility', () => {
    const long = {
      facility_name: 'Hope Clinic',
      provider_name: `Dr ${'Wanjiku Nyambura-Otieno '.repeat(6)}`,
      patient_name: 'Ngũgĩ wa Thiong’o Kĩmani Mũthoni Ñjeri '.repeat(4),
      appointment_type: 'antenatal follow-up visit with ultrasound '.repeat(3),
    };
    for (const recipient of NOTIFICATION_RECIPIENTS) {
      const sms = renderSms(context({ recipient }, long));
      const { units, limit } = smsLength(sms);
      expect(units).toBeLessThanOrEqual(limit);
      expect(sms).toContain('Hope Clinic');
      expect(sms).toContain('Wed 15 Jan');
      expect(sms).toContain('13:00-13:30 EAT');
    }
  });

  it('stays in GSM-7 for accented Latin names', () => {
    const sms = renderSms(context({ recipient: 'provider' }, { patient_name: 'Zoë Ngũgĩ' }));
    expect(sms).toContain('Zoe Ngugi');
    expect(smsLength(sms).encoding).toBe('gsm7');
  });

  it('fits 70 units when a name forces UCS-2, still with date and time', () => {
    const sms = renderSms(
      context(
        { event: 'reminder' },
        { facility_name: 'ጤና ጣቢያ አዲስ አበባ ቦሌ ክፍለ ከተማ', provider_name: 'ዶክተር አበበ ቢቂላ' },
      ),
    );
    expect(smsLength(sms)).toMatchObject({ encoding: 'ucs2' });
    expect(smsLength(sms).units).toBeLessThanOrEqual(70);
    expect(sms).toContain('Wed 15 Jan');
    expect(sms).toContain('13:00-13:30 EAT');
    expect(sms).toContain('ጤና');
  });

  it('always fits one segment, and keeps the time when it can', () => {
    const name = fc.string({ unit: 'grapheme', maxLength: 120 });
    fc.assert(
      fc.property(
        fc.constantFrom(...NOTIFICATION_EVENTS),
        fc.constantFrom(...NOTIFICATION_RECIPIENTS),
        name,
        name,
        name,
        name,
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (event, recipient, facility, provider, patient, type, start) => {
          const sms = renderSms(
            context(
              { event, recipient, conflict },
              {
                facility_name: facility,
                provider_name: provider,
                patient_name: patient,
                appointment_type: type,
                start_time: start,
                end_time: start + 20 * 60_000,
              },
            ),
          );
          const { units, limit } = smsLength(sms);
          expect(units).toBeLessThanOrEqual(limit);
          expect(sms).toMatch(/\d\d:\d\d-(\w{3} \d{1,2} \w{3,4} )?\d\d:\d\d/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
