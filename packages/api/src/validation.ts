/**
 * Request validation with zod through @hono/zod-validator, reporting problems the way
 * Django REST framework does: `{field: ["message", ...]}` with a 400.
 */
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';

type ZodIssue = z.core.$ZodIssue;

/** DRF's wording for the common failures, keyed by zod issue code. */
function drfMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined && issue.code === 'invalid_type') return 'This field is required.';
  if (issue.input === null && issue.code === 'invalid_type') return 'This field may not be null.';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'string') return 'Not a valid string.';
      if (issue.expected === 'number' || issue.expected === 'int')
        return 'A valid integer is required.';
      if (issue.expected === 'boolean') return 'Must be a valid boolean.';
      if (issue.expected === 'array')
        return `Expected a list of items but got type "${typeof issue.input}".`;
      if (issue.expected === 'object') return 'Invalid data. Expected a dictionary.';
      return undefined;
    case 'invalid_value':
      return `"${String(issue.input).slice(0, 64)}" is not a valid choice.`;
    case 'too_big':
      if (issue.origin === 'string')
        return `Ensure this field has no more than ${String(issue.maximum)} characters.`;
      return `Ensure this value is less than or equal to ${String(issue.maximum)}.`;
    case 'too_small':
      if (issue.origin === 'string') return 'This field may not be blank.';
      return `Ensure this value is greater than or equal to ${String(issue.minimum)}.`;
    default:
      return undefined;
  }
}

/** Converts zod issues to DRF's field-error shape; root-level issues go to non_field_errors. */
export function toFieldErrors(issues: readonly ZodIssue[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of issues) {
    const field = issue.path.length === 0 ? 'non_field_errors' : issue.path.map(String).join('.');
    const list = (out[field] ??= []);
    if (!list.includes(issue.message)) list.push(issue.message);
  }
  return out;
}

/** Validates one request part; a failure answers 400 with DRF-shaped field errors. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) {
  return zValidator(
    target,
    schema,
    (result, c) => {
      if (!result.success) return c.json(toFieldErrors(result.error.issues), 400);
    },
    {
      validationFunction: (s, value) =>
        (s as z.ZodType).safeParseAsync(value, { error: drfMessage }) as never,
    },
  );
}
