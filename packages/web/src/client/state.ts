/**
 * What every screen needs: the session, and the directory (facilities, providers) read
 * once per session from this node's API.
 */
import { getAll, type Session } from './api';
import type { Facility, User } from './types';

export interface AppState {
  session: Session;
  facilities: Facility[];
  providers: User[];
}

let state: AppState | undefined;
const resets: (() => void)[] = [];

/**
 * Registers what a screen keeps between visits (filters, the schedule's date), to be
 * forgotten at logout: the next person at a shared front-desk computer starts afresh.
 */
export function onLogout(reset: () => void): void {
  resets.push(reset);
}

export function current(): AppState {
  if (!state) throw new Error('not logged in');
  return state;
}

export function clearState(): void {
  state = undefined;
  for (const reset of resets) reset();
}

const PROVIDER_TYPES = new Set(['doctor', 'nurse', 'midwife', 'community_worker']);

export async function loadState(session: Session): Promise<AppState> {
  const [facilities, users] = await Promise.all([
    getAll<Facility>('/facilities/'),
    getAll<User>('/users/?role=provider'),
  ]);
  state = {
    session,
    facilities: facilities.filter((f) => f.is_active).sort((a, b) => a.name.localeCompare(b.name)),
    providers: users
      .filter((u) => u.is_active && PROVIDER_TYPES.has(u.user_type))
      .sort((a, b) => personName(a).localeCompare(personName(b))),
  };
  return state;
}

export function personName(p: { first_name: string; last_name: string }): string {
  return `${p.first_name} ${p.last_name}`.trim();
}

export function facilityById(id: string): Facility | undefined {
  return state?.facilities.find((f) => f.id === id);
}

/** The facility a screen starts on: the user's first one this node has, else the first. */
export function defaultFacility(): Facility | undefined {
  const s = current();
  return s.facilities.find((f) => s.session.user.facilities.includes(f.id)) ?? s.facilities[0];
}

export function providersAt(facilityId: string): User[] {
  return current().providers.filter((p) => p.facilities.includes(facilityId));
}

/** The zone of a facility (UTC when unknown, which the page then says). */
export function zoneOf(facilityId: string): string {
  return facilityById(facilityId)?.timezone ?? 'UTC';
}
