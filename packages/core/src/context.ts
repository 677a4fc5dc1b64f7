/** What the application services need from the outside world, passed in by the app. */
import type { Clock, IdGenerator, Role } from '@clinic/domain';
import type { Store } from './store';

export interface CoreDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** The id of the node this process runs as (edge node id, or central's). */
  nodeId: string;
}

/** Who is asking: the authenticated user behind a request. */
export interface Actor {
  userId: string;
  role: Role;
}
