/** SQL for patients: get, list (ordered by created_at, id), insert, update. */
import type { Page, PatientQuery } from '@clinic/core';
import type { Patient } from '@clinic/domain';
import { containsPattern } from './like-pattern';
import { assertUpdated } from './missing-row';
import { readPage } from './paging';
import { patientFromRow, patientToParams, type PatientRow } from './row-mapping';
import type { StatementCache } from './statement-cache';
import { withDuplicateMapping } from './unique-violations';
import { WhereClause } from './where-clause';

const COLUMNS =
  'id, patient_id, first_name, last_name, phone_number, email, registered_facility, ' +
  'is_active, clocks, origin_node, version, created_at, updated_at';

const GET = `SELECT ${COLUMNS} FROM patients WHERE id = @id`;

const INSERT = `
  INSERT INTO patients (${COLUMNS})
  VALUES (@id, @patient_id, @first_name, @last_name, @phone_number, @email,
          @registered_facility, @is_active, @clocks, @origin_node, @version, @created_at, @updated_at)`;

const UPDATE = `
  UPDATE patients
     SET patient_id = @patient_id, first_name = @first_name, last_name = @last_name,
         phone_number = @phone_number, email = @email,
         registered_facility = @registered_facility, is_active = @is_active, clocks = @clocks,
         origin_node = @origin_node, version = @version, created_at = @created_at,
         updated_at = @updated_at
   WHERE id = @id`;

const SEARCH = `(patient_id LIKE @search ESCAPE '\\'
  OR first_name LIKE @search ESCAPE '\\'
  OR last_name LIKE @search ESCAPE '\\'
  OR first_name || ' ' || last_name LIKE @search ESCAPE '\\')`;

export function getPatient(sql: StatementCache, id: string): Patient | undefined {
  const row = sql.get1<PatientRow>(GET, { id });
  return row && patientFromRow(row);
}

/** Patients matching the query, oldest first (created_at, then id). */
export function listPatients(sql: StatementCache, query: PatientQuery): Page<Patient> {
  const where = new WhereClause();
  if (query.registered_facility !== undefined) {
    where.add('registered_facility = @registered_facility', {
      registered_facility: query.registered_facility,
    });
  }
  if (query.search) where.add(SEARCH, { search: containsPattern(query.search) });
  const text = {
    count: `SELECT COUNT(*) AS count FROM patients ${where.toSql()}`,
    rows:
      `SELECT ${COLUMNS} FROM patients ${where.toSql()} ` +
      'ORDER BY created_at, id LIMIT @limit OFFSET @offset',
  };
  return readPage(sql, text, where.params, query, patientFromRow);
}

export function insertPatient(sql: StatementCache, row: Patient): void {
  withDuplicateMapping(() => sql.run(INSERT, patientToParams(row)));
}

export function updatePatient(sql: StatementCache, row: Patient): void {
  const changes = withDuplicateMapping(() => sql.run(UPDATE, patientToParams(row)));
  assertUpdated(changes, 'patient', row.id);
}
