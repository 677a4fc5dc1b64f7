/**
 * SQL for users and their facility links (user_facilities): get, get by username,
 * list (ordered by created_at, id), insert and update (which rewrites the links).
 */
import type { Page, UserQuery } from '@clinic/core';
import type { User } from '@clinic/domain';
import { containsPattern } from './like-pattern';
import { assertUpdated } from './missing-row';
import { readPage } from './paging';
import { userFromRow, userToParams, type UserRow } from './row-mapping';
import type { StatementCache } from './statement-cache';
import { withDuplicateMapping } from './unique-violations';
import { WhereClause } from './where-clause';

const COLUMNS =
  'id, username, password_hash, role, user_type, first_name, last_name, email, phone_number, ' +
  'is_active, origin_node, version, created_at, updated_at';

// The user's facility ids as a JSON array, sorted (aggregate ORDER BY: SQLite >= 3.44).
const SELECT = `
  SELECT u.id, u.username, u.password_hash, u.role, u.user_type, u.first_name, u.last_name,
         u.email, u.phone_number, u.is_active, u.origin_node, u.version, u.created_at,
         u.updated_at,
         (SELECT json_group_array(uf.facility_id ORDER BY uf.facility_id)
            FROM user_facilities AS uf
           WHERE uf.user_id = u.id) AS facilities
    FROM users AS u`;

const GET = `${SELECT} WHERE u.id = @id`;
const GET_BY_USERNAME = `${SELECT} WHERE u.username = @username`;

const INSERT = `
  INSERT INTO users (${COLUMNS})
  VALUES (@id, @username, @password_hash, @role, @user_type, @first_name, @last_name, @email,
          @phone_number, @is_active, @origin_node, @version, @created_at, @updated_at)`;

const UPDATE = `
  UPDATE users
     SET username = @username, password_hash = @password_hash, role = @role,
         user_type = @user_type, first_name = @first_name, last_name = @last_name,
         email = @email, phone_number = @phone_number, is_active = @is_active,
         origin_node = @origin_node, version = @version, created_at = @created_at,
         updated_at = @updated_at
   WHERE id = @id`;

const DELETE_LINKS = 'DELETE FROM user_facilities WHERE user_id = @user_id';

// A repeated facility id in User.facilities is stored once.
const INSERT_LINK = `
  INSERT INTO user_facilities (user_id, facility_id) VALUES (@user_id, @facility_id)
  ON CONFLICT DO NOTHING`;

const SEARCH = `(u.username LIKE @search ESCAPE '\\'
  OR u.first_name LIKE @search ESCAPE '\\'
  OR u.last_name LIKE @search ESCAPE '\\'
  OR u.first_name || ' ' || u.last_name LIKE @search ESCAPE '\\')`;

export function getUser(sql: StatementCache, id: string): User | undefined {
  const row = sql.get1<UserRow>(GET, { id });
  return row && userFromRow(row);
}

export function getUserByUsername(sql: StatementCache, username: string): User | undefined {
  const row = sql.get1<UserRow>(GET_BY_USERNAME, { username });
  return row && userFromRow(row);
}

/** Users matching the query, oldest first (created_at, then id). */
export function listUsers(sql: StatementCache, query: UserQuery): Page<User> {
  const where = new WhereClause();
  if (query.role !== undefined) where.add('u.role = @role', { role: query.role });
  if (query.facility !== undefined) {
    where.add(
      'EXISTS (SELECT 1 FROM user_facilities AS f WHERE f.user_id = u.id AND f.facility_id = @facility)',
      { facility: query.facility },
    );
  }
  if (query.search) where.add(SEARCH, { search: containsPattern(query.search) });
  const text = {
    count: `SELECT COUNT(*) AS count FROM users AS u ${where.toSql()}`,
    rows: `${SELECT} ${where.toSql()} ORDER BY u.created_at, u.id LIMIT @limit OFFSET @offset`,
  };
  return readPage(sql, text, where.params, query, userFromRow);
}

/** Inserts the user and its facility links, all or nothing. */
export function insertUser(sql: StatementCache, row: User): void {
  sql.atomically(() => {
    withDuplicateMapping(() => sql.run(INSERT, userToParams(row)));
    insertLinks(sql, row);
  });
}

/** Replaces every column and the facility links, all or nothing. */
export function updateUser(sql: StatementCache, row: User): void {
  sql.atomically(() => {
    const changes = withDuplicateMapping(() => sql.run(UPDATE, userToParams(row)));
    assertUpdated(changes, 'user', row.id);
    sql.run(DELETE_LINKS, { user_id: row.id });
    insertLinks(sql, row);
  });
}

function insertLinks(sql: StatementCache, row: User): void {
  for (const facilityId of row.facilities) {
    sql.run(INSERT_LINK, { user_id: row.id, facility_id: facilityId });
  }
}
