/** Field types shared by every contract: ids, date-times, pages. */
import { isUuid, isValidTimeZone, parseIsoDateTime } from '@clinic/domain';
import { z } from 'zod';

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

/** A plain text field with DRF's blank/length rules. */
export const text = (max: number) => z.string().trim().max(max);
export const requiredText = (max: number) => z.string().trim().min(1).max(max);

/** `?page=` and `?page_size=` (20 by default, at most 100: larger values are clamped). */
export const pageQuery = z.object({
  page: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'A valid page number is required.' })
    .transform(Number)
    .optional(),
  page_size: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'A valid integer is required.' })
    .transform((v) => Math.min(100, Math.max(1, Number(v))))
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
