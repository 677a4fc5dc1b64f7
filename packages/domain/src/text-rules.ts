/**
 * Which characters a stored or searched text may hold. PostgreSQL refuses NUL in text
 * (SQLSTATE 22021) while SQLite stores it, so a NUL accepted by a clinic node would fail
 * its every push; other control characters and lone UTF-16 surrogates corrupt logs,
 * exports and messages. Every node refuses them at its edges (the API's contracts and
 * query parameters, central's push), with Django REST framework's wording.
 *
 * Single-line text (names, ids, phone numbers, search terms) allows no control character;
 * multi-line text (an appointment's reason, a resolution note) allows tab, line feed and
 * carriage return.
 */

/** DRF's ProhibitNullCharactersValidator message. */
export const NULL_CHARACTER_MESSAGE = 'Null characters are not allowed.';
/** The message for any other control character. */
export const CONTROL_CHARACTER_MESSAGE = 'Control characters are not allowed.';

// C0 controls and DEL; the multi-line set leaves out \t (09), \n (0A) and \r (0D).
const SINGLE_LINE_FORBIDDEN = /[\u0000-\u001F\u007F]/;
const MULTI_LINE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type TextKind = 'single-line' | 'multi-line';

/**
 * Why `text` may not be stored, in DRF's words, or undefined when it may. Runs in time
 * linear in the text's length (two regular expression scans without backtracking).
 */
export function textProblem(text: string, kind: TextKind = 'single-line'): string | undefined {
  const forbidden = kind === 'multi-line' ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN;
  const control = forbidden.exec(text);
  if (control) return control[0] === '\u0000' ? NULL_CHARACTER_MESSAGE : CONTROL_CHARACTER_MESSAGE;
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) {
    const code = surrogate[0].charCodeAt(0).toString(16).toUpperCase();
    return `Surrogate characters are not allowed: U+${code}.`;
  }
  return undefined;
}

/**
 * The first string inside `value` (walked depth-first, object keys included) that
 * {@link textProblem} refuses as multi-line text, with its path; undefined when every
 * string is fine. For data that arrives as a whole document (a node's push), where a
 * field's kind is not known: it refuses only what no field may hold.
 */
export function findTextProblem(
  value: unknown,
  path = '',
): { path: string; message: string } | undefined {
  if (typeof value === 'string') {
    const message = textProblem(value, 'multi-line');
    return message === undefined ? undefined : { path, message };
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    const keyMessage = textProblem(key, 'single-line');
    if (keyMessage !== undefined) return { path: at, message: keyMessage };
    const found = findTextProblem(inner, at);
    if (found) return found;
  }
  return undefined;
}

/**
 * The query parameters of `url` (keys or values, as decoded) that hold text no field may
 * hold, keyed by parameter name (`query` for a bad name), in DRF's field-error shape.
 */
export function queryTextProblems(url: string): Record<string, string[]> {
  // No prototype: a parameter may be called `__proto__`.
  const problems = Object.create(null) as Record<string, string[]>;
  const start = url.indexOf('?');
  if (start === -1) return problems;
  const end = url.indexOf('#', start);
  const search = url.slice(start + 1, end === -1 ? undefined : end);
  for (const [key, value] of new URLSearchParams(search)) {
    const badKey = textProblem(key);
    const message = badKey ?? textProblem(value);
    if (message !== undefined) (problems[badKey ? 'query' : key] ??= []).push(message);
  }
  return problems;
}
