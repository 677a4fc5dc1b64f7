/** Contracts of the token endpoints (the djangorestframework-simplejwt shapes). */
import { z } from 'zod';
import { cleanString } from './common';

export const tokenRequest = z
  .object({ username: cleanString().min(1).max(150), password: cleanString().min(1).max(256) })
  .meta({ id: 'TokenRequest' });
export const tokenPair = z
  .object({ access: z.string(), refresh: z.string() })
  .meta({ id: 'TokenPair' });
export const refreshRequest = z
  .object({ refresh: cleanString().min(1).max(4096) })
  .meta({ id: 'RefreshRequest' });
export const accessToken = z.object({ access: z.string() }).meta({ id: 'AccessToken' });

/** The web UI's session: who is logged in, and the CSRF token for unsafe requests. */
export const sessionOut = z
  .object({
    user: z.object({
      id: z.string(),
      username: z.string(),
      role: z.string(),
      user_type: z.string(),
      first_name: z.string(),
      last_name: z.string(),
      facilities: z.array(z.string()),
    }),
    csrf_token: z.string().meta({ description: 'Send back as X-CSRF-Token on unsafe methods' }),
    node: z.object({ role: z.enum(['edge', 'central']), id: z.string() }),
  })
  .meta({ id: 'Session' });
