/**
 * Turns SQLite unique-constraint failures on user-facing unique values into the
 * domain's Duplicate error (the API answers 400 with `{field: [message]}`). Every other
 * error passes through unchanged.
 */
import { DomainError, ErrorCode } from '@clinic/domain';
import Database from 'better-sqlite3';

/** Unique columns a client can collide on, with the message the API shows. */
const DUPLICATE_MESSAGES: Record<string, { field: string; message: string }> = {
  'users.username': {
    field: 'username',
    message: 'A user with that username already exists.',
  },
  'patients.patient_id': {
    field: 'patient_id',
    message: 'A patient with this patient_id already exists.',
  },
};

// better-sqlite3 reports e.g. "UNIQUE constraint failed: users.username".
const UNIQUE_FAILED = /^UNIQUE constraint failed: (.+)$/;

/** The DomainError for `error` if it is a known unique violation, else `error` itself. */
export function mapUniqueViolation(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError) || error.code !== 'SQLITE_CONSTRAINT_UNIQUE') {
    return error;
  }
  const column = UNIQUE_FAILED.exec(error.message)?.[1];
  const known = column === undefined ? undefined : DUPLICATE_MESSAGES[column];
  if (known === undefined) return error;
  return new DomainError(ErrorCode.Duplicate, known.message, {
    details: { [known.field]: [known.message] },
    cause: error,
  });
}

/** Runs `fn`, rethrowing a known unique violation as a Duplicate DomainError. */
export function withDuplicateMapping<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw mapUniqueViolation(error);
  }
}
