/** Field types shared by every contract: ids, date-times, pages. */
import {
  isUuid,
  isValidTimeZone,
  parseIsoDateTime,
  textProblem,
  type TextKind,
} from '@clinic/domain';
import { z } from 'zod';
import { MAX_PAGE_SIZE } from '../pagination';

/** A UUID string, as DRF reports a bad one. */
export const uuid = z
  .string()
  .refine(isUuid, { error: (iss) => `"${String(iss.input).slice(0, 64)}" is not a valid UUID.` })
  .meta({ format: 'uuid', description: 'UUID (v7 for ids born in this system)' });

/** An ISO-8601 date-time WITH offset, parsed to epoch ms. */
export const dateTime = z
  .string()
  .transform((text, ctx) => {
    const ms = parseIsoDateTime(text);
    if (ms === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message:
          'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]](+HH:MM|-HH:MM|Z).',
      });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ format: 'date-time', example: '2030-01-15T10:00:00Z' });

export const timeZone = z
  .string()
  .max(64)
  .refine(isValidTimeZone, {
    error: (iss) => `"${String(iss.input).slice(0, 64)}" is not a valid IANA time zone.`,
  })
  .meta({ example: 'Africa/Nairobi' });

/**
 * A string without NUL, control characters or lone surrogates (domain/text-rules.ts):
 * every text the API reads goes through one of the helpers below.
 */
export const cleanString = (kind: TextKind = 'single-line') =>
  z.string().superRefine((value, ctx) => {
    const message = textProblem(value, kind);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  });

/** A plain one-line text field with DRF's blank/length rules. */
export const text = (max: number) => cleanString().trim().max(max);
export const requiredText = (max: number) => cleanString().trim().min(1).max(max);
/** Text where line breaks and tabs make sense (a reason, a note). */
export const multilineText = (max: number) => cleanString('multi-line').trim().max(max);
export const requiredMultilineText = (max: number) =>
  cleanString('multi-line').trim().min(1).max(max);
/** A `?search=` term. */
export const searchText = cleanString().max(100);

/**
 * `?page=` and `?page_size=` (20 by default; a positive integer; any value above
 * {@link MAX_PAGE_SIZE}, however many digits, is clamped to it). Every list uses this.
 */
export const pageQuery = z.object({
  page: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'A valid page number is required.' })
    .transform(Number)
    .optional(),
  page_size: z
    .string()
    .regex(/^\d+$/, { error: 'A valid integer is required.' })
    .refine((v) => /[1-9]/.test(v), { error: 'Ensure this value is greater than or equal to 1.' })
    // However many digits: Number() of a huge one is large or Infinity, then clamped.
    .transform((v) => Math.min(MAX_PAGE_SIZE, Number(v)))
    .optional(),
});

export const isoTimestamp = z.string().meta({ format: 'date-time' });

export function paginated<T extends z.ZodType>(item: T) {
  return z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}

export const detailBody = z.object({ detail: z.string() }).meta({ id: 'Detail' });
export const fieldErrorsBody = z
  .record(z.string(), z.array(z.string()))
  .meta({ id: 'FieldErrors', description: 'DRF-style validation errors: field -> messages' });
