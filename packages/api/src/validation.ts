/**
 * Request validation with zod through @hono/zod-validator, reporting problems the way
 * Django REST framework does: `{field: ["message", ...]}` with a 400. A JSON body is first
 * checked against API_JSON_BOUNDS (domain/json-bounds.ts) without parsing it: a body nested
 * too deep or holding too many values is a 400 `{detail}` before JSON.parse or zod sees it.
 */
import { checkJsonBounds, describeJsonRefusal, type JsonBounds } from '@clinic/domain';
import { zValidator } from '@hono/zod-validator';
import type { Context, ValidationTargets } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';

/**
 * Limits on a JSON request body. The API's bodies nest 3 levels and hold tens of values
 * (a user's facilities: at most 100); the bounds leave room and stop the costly cases.
 */
export const API_JSON_BOUNDS: JsonBounds = { maxDepth: 32, maxItems: 10_000 };

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

type ZodIssue = z.core.$ZodIssue;

/**
 * A submitted value as an error message may quote it: text as it is, anything else as
 * JSON (never `String(value)`, which throws for `{"toString": 1}` and says nothing for
 * an object), at most 64 characters.
 */
function shown(input: unknown): string {
  if (typeof input === 'string') return input.slice(0, 64);
  try {
    return (JSON.stringify(input) ?? typeof input).slice(0, 64);
  } catch {
    return typeof input;
  }
}

/** DRF's wording for the common failures, keyed by zod issue code. */
function drfMessage(issue: z.core.$ZodRawIssue): string | undefined {
  // Whatever the check (a type, an enum's choices), a missing value is DRF's "required".
  if (issue.input === undefined && issue.code !== 'custom') return 'This field is required.';
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
      return `"${shown(issue.input)}" is not a valid choice.`;
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
  // No prototype: a field path may be `__proto__`.
  const out = Object.create(null) as Record<string, string[]>;
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
  const validator = zValidator(
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
  if (target !== 'json') return validator;
  const bounded: typeof validator = async (c, next) => {
    await refuseUnboundedJson(c);
    return validator(c, next);
  };
  return bounded;
}

/**
 * Reads a JSON body as text and refuses it when it passes API_JSON_BOUNDS. The text stays in
 * Hono's body cache, so the validator parses it once, after this check, and a malformed
 * body still answers "Malformed JSON in request body".
 */
async function refuseUnboundedJson(c: Context): Promise<void> {
  const media = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim() ?? '';
  if (!JSON_MEDIA.test(media)) return;
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    // The body could not be read (the client went away): as the validator would say.
    throw new HTTPException(400, { message: 'Malformed JSON in request body' });
  }
  const refusal = checkJsonBounds(text, API_JSON_BOUNDS);
  if (refusal) {
    throw new HTTPException(400, { message: describeJsonRefusal(refusal, API_JSON_BOUNDS) });
  }
}
