/** Contracts of the token endpoints (the djangorestframework-simplejwt shapes). */
import { z } from 'zod';

export const tokenRequest = z
  .object({ username: z.string().min(1).max(150), password: z.string().min(1).max(256) })
  .meta({ id: 'TokenRequest' });
export const tokenPair = z
  .object({ access: z.string(), refresh: z.string() })
  .meta({ id: 'TokenPair' });
export const refreshRequest = z
  .object({ refresh: z.string().min(1).max(4096) })
  .meta({ id: 'RefreshRequest' });
export const accessToken = z.object({ access: z.string() }).meta({ id: 'AccessToken' });
