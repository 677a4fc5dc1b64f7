/**
 * Masked forms of contact addresses, for logs and admin screens: enough to tell two
 * addresses apart, not enough to write to or call one.
 */
import type { NotificationChannel } from './model';

/** `john@example.org` -> `j***@example.org`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

/** `+254712345678` -> `+2547****678`. */
export function maskPhone(number: string): string {
  const compact = number.replace(/[\s().-]/g, '');
  if (compact.length < 8) return '***';
  const head = compact.startsWith('+') ? 5 : 4;
  return `${compact.slice(0, head)}${'*'.repeat(compact.length - head - 3)}${compact.slice(-3)}`;
}

export function maskAddress(address: string, channel: NotificationChannel): string {
  return channel === 'email' ? maskEmail(address) : maskPhone(address);
}
