/**
 * How long a text is as one SMS, and how to make it fit one segment.
 *
 * A segment holds 160 septets of the GSM 03.38 default alphabet (a character of its extension
 * table, such as € [ ] { } ^ ~ \ |, takes two: an escape and the character), or 70 UTF-16 code
 * units when any character is outside that alphabet (the whole message is then sent as UCS-2).
 * Past that, the gateway splits the text into several billed parts with smaller limits, which a
 * notification never needs.
 */

/** The GSM 03.38 default alphabet, in table order (0x1B, the escape, is left out). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The default extension table: each costs two septets. */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export const GSM7_SEGMENT_SEPTETS = 160;
export const UCS2_SEGMENT_UNITS = 70;
/** What a shortened text ends with (plain dots: "…" is not in GSM-7). */
export const SMS_ELLIPSIS = '...';

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets for gsm7, UTF-16 code units for ucs2. */
  units: number;
  /** What one segment holds in that encoding. */
  limit: number;
}

/** True when every character is in the GSM-7 default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) {
    if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  }
  return true;
}

/** The encoding a gateway picks for `text`, its length in that encoding and one segment's limit. */
export function smsLength(text: string): SmsLength {
  if (!isGsm7(text)) {
    return { encoding: 'ucs2', units: text.length, limit: UCS2_SEGMENT_UNITS };
  }
  let units = 0;
  for (const ch of text) units += EXTENSION.has(ch) ? 2 : 1;
  return { encoding: 'gsm7', units, limit: GSM7_SEGMENT_SEPTETS };
}

/** True when `text` goes out as a single segment. */
export function fitsOneSms(text: string): boolean {
  const { units, limit } = smsLength(text);
  return units <= limit;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Splits into user-perceived characters, so a cut never halves an emoji or an accent. */
export function graphemesOf(text: string): string[] {
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

/**
 * `text` unchanged when it fits one segment; otherwise its longest start that fits together
 * with a trailing "...". Put what matters first: the end is what goes.
 */
export function fitSms(text: string): string {
  if (fitsOneSms(text)) return text;
  const parts = graphemesOf(text);
  // The longest prefix that fits with the ellipsis; fitting is monotone in the prefix length.
  let lo = 0;
  let hi = parts.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fitsOneSms(withEllipsis(parts, mid))) lo = mid;
    else hi = mid - 1;
  }
  return withEllipsis(parts, lo);
}

function withEllipsis(parts: string[], count: number): string {
  return parts.slice(0, count).join('').trimEnd() + SMS_ELLIPSIS;
}

/** Look-alikes that keep a text in GSM-7 (typographic punctuation, odd spaces). */
const GSM7_LOOKALIKES: Record<string, string> = {
  '‘': "'",
  '’': "'",
  ʼ: "'",
  '`': "'",
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '‐': '-',
  '…': '...',
  '\u00a0': ' ',
  '\u202f': ' ',
  '\t': ' ',
};

/**
 * Replaces the characters that would force a whole SMS into UCS-2 (70 instead of 160) by
 * their nearest GSM-7 spelling where one exists: curly quotes and dashes by plain ones,
 * accented letters outside the alphabet by the bare letter ("Müller" and "José" stay,
 * "Zoë" becomes "Zoe", "Ngũgĩ" "Ngugi"). Other scripts are left as they are.
 */
export function simplifyForGsm7(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (BASIC.has(ch) || EXTENSION.has(ch)) {
      out += ch;
      continue;
    }
    const lookalike = GSM7_LOOKALIKES[ch];
    if (lookalike !== undefined) {
      out += lookalike;
      continue;
    }
    const bare = ch.normalize('NFD').replace(/\p{M}/gu, '');
    out += bare.length > 0 && isGsm7(bare) ? bare : ch;
  }
  return out;
}
