/** A message carried to the next screen (e.g. "Appointment booked" on the new page). */
import { onLogout } from './state';

let pending: string | undefined;
onLogout(() => {
  pending = undefined;
});

export function setFlash(message: string): void {
  pending = message;
}

export function takeFlash(): string | undefined {
  const message = pending;
  pending = undefined;
  return message;
}
