/**
 * The reads of the port (StoreReads) over any executor: the pool / PGlite for the
 * store's own reads, one open transaction for the reads of a WriteTx.
 */
import type { Facility, Patient, User } from '@clinic/domain';
import type { PatientQuery, StoreReads, UserQuery } from '@clinic/core';
import type { Executor, Row } from './executor';
import {
  APPOINTMENT_VIEW_COLUMNS,
  APPOINTMENT_VIEW_FROM,
  FACILITY_COLUMNS,
  PATIENT_COLUMNS,
  USER_COLUMNS,
  toAppointmentView,
  toFacility,
  toPatient,
  toUser,
} from './columns';
import { listAppointments } from './appointment-list';
import { conflictReads } from './conflicts';
import { notificationReads } from './notifications';
import { findActiveOverlapping } from './overlap-query';
import { Params, containsPattern, lookupId } from './params';
import { searchAny, selectPage } from './paging';

async function first<T>(rows: Promise<Row[]>, map: (row: Row) => T): Promise<T | undefined> {
  const [row] = await rows;
  return row === undefined ? undefined : map(row);
}

export function createReads(ex: Executor): StoreReads {
  return {
    ...conflictReads(ex),
    ...notificationReads(ex),
    getFacility: (id) =>
      first(
        ex.query(`SELECT ${FACILITY_COLUMNS} FROM facilities f WHERE f.id = $1`, [lookupId(id)]),
        toFacility,
      ),

    listFacilities: (request) =>
      selectPage<Facility>(
        ex,
        {
          columns: FACILITY_COLUMNS,
          from: 'facilities f',
          where: [],
          orderBy: 'f.created_at, f.id',
        },
        new Params(),
        request,
        toFacility,
      ),

    getUser: (id) =>
      first(
        ex.query(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [lookupId(id)]),
        toUser,
      ),

    getUserByUsername: (username) =>
      first(
        ex.query(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = $1`, [username]),
        toUser,
      ),

    listUsers(query: UserQuery) {
      const params = new Params();
      const where: string[] = [];
      if (query.role !== undefined) where.push(`u.role = ${params.add(query.role)}`);
      if (query.facility !== undefined) {
        where.push(
          `EXISTS (SELECT 1 FROM user_facilities uf WHERE uf.user_id = u.id ` +
            `AND uf.facility_id = ${params.add(lookupId(query.facility))})`,
        );
      }
      if (query.search !== undefined && query.search !== '') {
        const columns = [
          'u.username',
          'u.first_name',
          'u.last_name',
          "u.first_name || ' ' || u.last_name",
        ];
        where.push(searchAny(columns, containsPattern(query.search), params));
      }
      return selectPage<User>(
        ex,
        { columns: USER_COLUMNS, from: 'users u', where, orderBy: 'u.created_at, u.id' },
        params,
        query,
        toUser,
      );
    },

    async getBookingReferences(refs) {
      // One round trip: each row as JSON (times already epoch ms, booleans, arrays).
      const as = (columns: string, from: string, param: string) =>
        `(SELECT to_jsonb(x) FROM (SELECT ${columns} FROM ${from} WHERE ${param}) x)`;
      const [row] = await ex.query(
        `SELECT ${as(PATIENT_COLUMNS, 'patients p', 'p.id = $1')} AS patient,
                ${as(USER_COLUMNS, 'users u', 'u.id = $2')} AS provider,
                ${as(FACILITY_COLUMNS, 'facilities f', 'f.id = $3')} AS facility`,
        [lookupId(refs.patient), lookupId(refs.provider), lookupId(refs.facility)],
      );
      const pick = <T>(value: unknown, map: (r: Row) => T) =>
        value === null || value === undefined ? undefined : map(value as Row);
      const patient = pick(row?.patient, toPatient);
      const provider = pick(row?.provider, toUser);
      const facility = pick(row?.facility, toFacility);
      return {
        ...(patient && { patient }),
        ...(provider && { provider }),
        ...(facility && { facility }),
      };
    },

    getPatient: (id) =>
      first(
        ex.query(`SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = $1`, [lookupId(id)]),
        toPatient,
      ),

    listPatients(query: PatientQuery) {
      const params = new Params();
      const where: string[] = [];
      if (query.registered_facility !== undefined) {
        where.push(`p.registered_facility = ${params.add(lookupId(query.registered_facility))}`);
      }
      if (query.search !== undefined && query.search !== '') {
        const columns = [
          'p.patient_id',
          'p.first_name',
          'p.last_name',
          "p.first_name || ' ' || p.last_name",
        ];
        where.push(searchAny(columns, containsPattern(query.search), params));
      }
      return selectPage<Patient>(
        ex,
        { columns: PATIENT_COLUMNS, from: 'patients p', where, orderBy: 'p.created_at, p.id' },
        params,
        query,
        toPatient,
      );
    },

    getAppointment: (id, options) =>
      first(
        ex.query(
          `SELECT ${APPOINTMENT_VIEW_COLUMNS} FROM ${APPOINTMENT_VIEW_FROM} WHERE a.id = $1` +
            (options?.includeDeleted ? '' : ' AND a.deleted_at IS NULL'),
          [lookupId(id)],
        ),
        toAppointmentView,
      ),

    listAppointments: (query) => listAppointments(ex, query),

    findActiveOverlapping: (query) => findActiveOverlapping(ex, query),
  };
}
