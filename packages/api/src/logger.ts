/**
 * Structured logging (pino) with patient data and secrets redacted: names, phone
 * numbers, emails, passwords and tokens never reach a log line.
 */
import pino from 'pino';

export type Logger = pino.Logger;

const SENSITIVE = [
  'first_name',
  'last_name',
  'patient_name',
  'provider_name',
  'phone_number',
  'email',
  'address',
  'password',
  'password_hash',
  'token',
  'access',
  'refresh',
  'authorization',
  'reason',
  // Database errors carry the offending values here (e.g. PostgreSQL's "Key (x)=(…)").
  'detail',
  'parameters',
  'params',
];

/** Paths pino censors at depth 0 to 2 (pino's redaction needs explicit paths). */
export const REDACT_PATHS = SENSITIVE.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(
  options: { level?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    { level: options.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.destination,
  );
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
