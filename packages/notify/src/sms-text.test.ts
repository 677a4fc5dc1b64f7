/** Tests of SMS lengths and shortening, with property tests over GSM-7 and Unicode texts. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitSms, isGsm7, simplifyForGsm7, smsLength, SMS_ELLIPSIS } from './sms-text';

const GSM_CHARS = [
  ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?',
  ...'¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ...'^{}\\[~]|€',
];
const gsmText = (maxLength: number) =>
  fc.array(fc.constantFrom(...GSM_CHARS), { maxLength }).map((chars) => chars.join(''));
/** Any text: GSM, emoji, combining marks, other scripts, lone surrogates. */
const anyText = fc.oneof(
  gsmText(400),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .tuple(
      gsmText(200),
      fc.constantFrom('ë', '😀', 'ũ', 'ሰላም', '👩‍⚕️', 'é\u0301', '\ud800'),
      gsmText(200),
    )
    .map(([a, b, c]) => a + b + c),
);

describe('smsLength', () => {
  it('counts septets for GSM-7, two for extension characters', () => {
    expect(smsLength('Hello')).toEqual({ encoding: 'gsm7', units: 5, limit: 160 });
    expect(smsLength('€[]{}^~\\|')).toEqual({ encoding: 'gsm7', units: 18, limit: 160 });
    expect(smsLength('Zoë')).toEqual({ encoding: 'ucs2', units: 3, limit: 70 });
    expect(smsLength('😀')).toEqual({ encoding: 'ucs2', units: 2, limit: 70 });
  });

  it('knows the alphabet', () => {
    expect(isGsm7('Müller José Ñoño Øst @£$¥ΔΦ')).toBe(true);
    expect(isGsm7('Ñandú')).toBe(false);
    expect(isGsm7('Zoë')).toBe(false);
    expect(isGsm7('–')).toBe(false);
    expect(isGsm7('ç')).toBe(false);
    expect(isGsm7('\u001b')).toBe(false);
  });
});

describe('fitSms', () => {
  it('always fits one segment of its encoding', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const out = fitSms(text);
        const { units, limit } = smsLength(out);
        expect(units).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves a GSM-7 text that fits unchanged', () => {
    fc.assert(
      fc.property(gsmText(200), (text) => {
        fc.pre(smsLength(text).units <= 160);
        expect(fitSms(text)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts the end, keeps a prefix and marks the cut', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const out = fitSms(text);
        if (out === text) return;
        expect(out.endsWith(SMS_ELLIPSIS)).toBe(true);
        expect(text.startsWith(out.slice(0, -SMS_ELLIPSIS.length))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('uses the room: a long GSM text keeps 157 septets, a long Unicode one 67 units', () => {
    const gsm = fitSms('a'.repeat(200));
    expect(gsm).toBe(`${'a'.repeat(157)}...`);
    const ucs = fitSms(`ë${'a'.repeat(100)}`);
    expect(smsLength(ucs)).toEqual({ encoding: 'ucs2', units: 70, limit: 70 });
    // Extension characters count two: 80 of them are exactly 160.
    expect(fitSms('€'.repeat(80))).toBe('€'.repeat(80));
    expect(fitSms('€'.repeat(81))).toBe(`${'€'.repeat(78)}...`);
  });

  it('never splits an emoji', () => {
    const out = fitSms('😀'.repeat(50));
    expect(out).toBe(`${'😀'.repeat(33)}...`);
  });
});

describe('simplifyForGsm7', () => {
  it('replaces look-alikes and strips accents the alphabet lacks', () => {
    expect(simplifyForGsm7('Zoë “Ngũgĩ” – O’Brien…')).toBe('Zoe "Ngugi" - O\'Brien...');
    expect(simplifyForGsm7('Müller José')).toBe('Müller José');
    expect(simplifyForGsm7('ሰላም')).toBe('ሰላም');
  });

  it('keeps GSM-7 text as it is', () => {
    fc.assert(
      fc.property(gsmText(100), (text) => {
        expect(simplifyForGsm7(text)).toBe(text.normalize('NFC'));
      }),
    );
  });
});
