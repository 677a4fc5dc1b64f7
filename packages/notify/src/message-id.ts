/**
 * Ids derived from a notification's dedupe key, so that a resend after a crash carries the
 * same ones and the receiving side (a mail server, a gateway honouring Idempotency-Key) can
 * drop the duplicate. They reveal nothing of the key itself (a hash).
 */
import { createHash } from 'node:crypto';

const FALLBACK_DOMAIN = 'clinic.invalid';

function keyHash(dedupeKey: string): string {
  return createHash('sha256').update(dedupeKey, 'utf8').digest('hex').slice(0, 32);
}

/**
 * `<{32 hex of sha256(key)}@{domain of mailFrom}>`. `mailFrom` may be a bare address or
 * `Name <address>`; without a usable domain the id ends in `@clinic.invalid`.
 */
export function messageIdFor(dedupeKey: string, mailFrom: string): string {
  return `<${keyHash(dedupeKey)}@${domainOf(mailFrom) ?? FALLBACK_DOMAIN}>`;
}

/** The idempotency key sent to SMS gateways: 32 hex characters of sha256(key). */
export function idempotencyKeyFor(dedupeKey: string): string {
  return keyHash(dedupeKey);
}

/** The lower-cased domain of an address (`a@b.org` or `Name <a@b.org>`), if it has a sane one. */
function domainOf(mailFrom: string): string | undefined {
  const bracketed = /<([^<>]*)>\s*$/.exec(mailFrom);
  const address = (bracketed ? bracketed[1]! : mailFrom).trim();
  const at = address.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = address.slice(at + 1).toLowerCase();
  return /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(domain)
    ? domain
    : undefined;
}
