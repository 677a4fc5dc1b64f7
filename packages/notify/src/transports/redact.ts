/**
 * Keeping addresses out of error messages: a scrubber for the words of a mail server or
 * gateway, which often quote the address they refused. (Masked addresses for log lines
 * are the domain's maskEmail / maskPhone.)
 */

/** An address, with its angle brackets when it has them. */
const EMAIL = /<?[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+>?/g;
/** Seven or more digits, possibly with a leading + and spaces or dashes in between. */
const PHONE = /\+?\d(?:[\s-]?\d){6,}/g;
const MAX_DETAIL = 200;

/**
 * The text without email addresses or phone-number-like digit runs, on one line, at most
 * 200 characters: safe to put in an error message that ends up in a log or a status page.
 */
export function scrubAddresses(text: string): string {
  const scrubbed = text
    .replace(EMAIL, '<address>')
    .replace(PHONE, '<number>')
    .replace(/\s+/g, ' ')
    .trim();
  return scrubbed.length > MAX_DETAIL ? `${scrubbed.slice(0, MAX_DETAIL - 3)}...` : scrubbed;
}
