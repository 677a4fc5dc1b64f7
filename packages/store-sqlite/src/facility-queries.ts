/** SQL for facilities: get, list (ordered by created_at, id), insert, update. */
import type { Page, PageRequest } from '@clinic/core';
import type { Facility } from '@clinic/domain';
import { assertUpdated } from './missing-row';
import { readPage } from './paging';
import { facilityFromRow, facilityToParams, type FacilityRow } from './row-mapping';
import type { StatementCache } from './statement-cache';

const COLUMNS =
  'id, name, timezone, capacity, is_active, origin_node, version, created_at, updated_at';

const GET = `SELECT ${COLUMNS} FROM facilities WHERE id = @id`;

const LIST = {
  count: 'SELECT COUNT(*) AS count FROM facilities',
  rows: `SELECT ${COLUMNS} FROM facilities ORDER BY created_at, id LIMIT @limit OFFSET @offset`,
};

const INSERT = `
  INSERT INTO facilities (${COLUMNS})
  VALUES (@id, @name, @timezone, @capacity, @is_active, @origin_node, @version, @created_at,
          @updated_at)`;

const UPDATE = `
  UPDATE facilities
     SET name = @name, timezone = @timezone, capacity = @capacity, is_active = @is_active,
         origin_node = @origin_node, version = @version, created_at = @created_at,
         updated_at = @updated_at
   WHERE id = @id`;

export function getFacility(sql: StatementCache, id: string): Facility | undefined {
  const row = sql.get1<FacilityRow>(GET, { id });
  return row && facilityFromRow(row);
}

/** All facilities, oldest first (created_at, then id). */
export function listFacilities(sql: StatementCache, page: PageRequest): Page<Facility> {
  return readPage(sql, LIST, {}, page, facilityFromRow);
}

export function insertFacility(sql: StatementCache, row: Facility): void {
  sql.run(INSERT, facilityToParams(row));
}

export function updateFacility(sql: StatementCache, row: Facility): void {
  assertUpdated(sql.run(UPDATE, facilityToParams(row)), 'facility', row.id);
}
