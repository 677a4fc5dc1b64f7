/**
 * Refuses NUL, control characters and lone surrogates (domain/text-rules.ts) in every
 * query parameter and in the request headers the API reads, before any route sees them,
 * with a 400 in DRF's field shape. Body fields are checked by their contracts
 * (contracts/common.ts), which know which texts may hold line breaks.
 */
import { queryTextProblems, textProblem } from '@clinic/domain';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env';

/** The headers some part of the API reads. */
const READ_HEADERS = ['authorization', 'cookie', 'content-type', 'x-csrf-token'] as const;

export const refuseControlCharacters = createMiddleware<AppEnv>(async (c, next) => {
  const errors = queryTextProblems(c.req.url);
  for (const name of READ_HEADERS) {
    const value = c.req.header(name);
    const message = value === undefined ? undefined : textProblem(value);
    if (message !== undefined) errors[name] = [`Header: ${message}`];
  }
  if (Object.keys(errors).length > 0) return c.json(errors, 400);
  await next();
});
