/** Tests of the ids derived from a notification's dedupe key. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idempotencyKeyFor, messageIdFor } from './message-id';

const KEY = 'appt-1:created:patient:email';
const HASH = createHash('sha256').update(KEY).digest('hex').slice(0, 32);

describe('messageIdFor', () => {
  it('is the key hash at the sender domain, the same on every call', () => {
    expect(messageIdFor(KEY, 'noreply@Hope-Clinic.example')).toBe(`<${HASH}@hope-clinic.example>`);
    expect(messageIdFor(KEY, 'Hope Clinic <noreply@clinic.example>')).toBe(
      `<${HASH}@clinic.example>`,
    );
    expect(messageIdFor(KEY, 'noreply@clinic.example')).toBe(
      messageIdFor(KEY, 'noreply@clinic.example'),
    );
    expect(messageIdFor(`${KEY}x`, 'noreply@clinic.example')).not.toBe(
      messageIdFor(KEY, 'noreply@clinic.example'),
    );
  });

  it('falls back to clinic.invalid without a usable domain', () => {
    expect(messageIdFor(KEY, 'noreply')).toBe(`<${HASH}@clinic.invalid>`);
    expect(messageIdFor(KEY, '')).toBe(`<${HASH}@clinic.invalid>`);
    expect(messageIdFor(KEY, 'a@b c>')).toBe(`<${HASH}@clinic.invalid>`);
  });
});

describe('idempotencyKeyFor', () => {
  it('is 32 hex characters of sha256(key)', () => {
    expect(idempotencyKeyFor(KEY)).toBe(HASH);
    expect(idempotencyKeyFor(KEY)).toMatch(/^[0-9a-f]{32}$/);
  });
});
