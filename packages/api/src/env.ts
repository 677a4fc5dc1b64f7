/** The Hono environment of the API: what middleware puts on the context. */
import type { Actor } from '@clinic/core';

export interface AppEnv {
  Variables: {
    /** The authenticated caller (set by the auth middleware). */
    actor: Actor;
  };
}
