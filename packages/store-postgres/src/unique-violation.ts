/**
 * Maps PostgreSQL unique violations (SQLSTATE 23505) on the user-facing unique columns
 * to the port's DomainError `resource.duplicate` with `{field: [message]}` details.
 * Both drivers report the violated constraint by name (see migrations/0001_init.sql).
 */
import { DomainError, ErrorCode } from '@clinic/domain';

const DUPLICATE_MESSAGES = {
  username: 'A user with that username already exists.',
  patient_id: 'A patient with this patient_id already exists.',
} as const;

export type UniqueField = keyof typeof DUPLICATE_MESSAGES;

const FIELD_OF_CONSTRAINT: Record<string, UniqueField> = {
  users_username_key: 'username',
  patients_patient_id_key: 'patient_id',
};

export function duplicateError(field: UniqueField, cause?: unknown): DomainError {
  const message = DUPLICATE_MESSAGES[field];
  return new DomainError(ErrorCode.Duplicate, message, {
    details: { [field]: [message] },
    cause,
  });
}

/** The DomainError for a unique violation on username / patient_id; otherwise `e` itself. */
export function mapUniqueViolation(e: unknown): unknown {
  if (typeof e !== 'object' || e === null) return e;
  const { code, constraint } = e as { code?: unknown; constraint?: unknown };
  if (code !== '23505' || typeof constraint !== 'string') return e;
  const field = FIELD_OF_CONSTRAINT[constraint];
  return field === undefined ? e : duplicateError(field, e);
}

/** Runs `statement`, rethrowing unique violations of username / patient_id as DomainErrors. */
export async function withUniqueMapping<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (e) {
    throw mapUniqueViolation(e);
  }
}
