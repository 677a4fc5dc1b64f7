/**
 * Helpers for the conformance suite that talk to a store through the port only:
 * seeding a small world of rows, building the expected AppointmentView, paging.
 */
import type { Page, PageRequest, Store } from '@clinic/core';
import type { Appointment, AppointmentView, Facility, Patient, User } from '@clinic/domain';
import { makeFacility, makePatient, makeUser } from './fixtures';

/** Rows to insert in one transaction, parents before children. */
export interface Rows {
  facilities?: Facility[];
  users?: User[];
  patients?: Patient[];
  appointments?: Appointment[];
}

export async function insertRows(store: Store, rows: Rows): Promise<void> {
  await store.write(async (tx) => {
    for (const f of rows.facilities ?? []) await tx.insertFacility(f);
    for (const u of rows.users ?? []) await tx.insertUser(u);
    for (const p of rows.patients ?? []) await tx.insertPatient(p);
    for (const a of rows.appointments ?? []) await tx.insertAppointment(a);
  });
}

/** A facility of its own, with a provider working there and a patient registered there. */
export interface World {
  facility: Facility;
  provider: User;
  patient: Patient;
}

export async function seedWorld(store: Store): Promise<World> {
  const facility = makeFacility();
  const provider = makeUser({ facilities: [facility.id] });
  const patient = makePatient({ registered_facility: facility.id });
  await insertRows(store, { facilities: [facility], users: [provider], patients: [patient] });
  return { facility, provider, patient };
}

/** What getAppointment/listAppointments must return for `a`. */
export function viewOf(
  a: Appointment,
  refs: { patient: Patient; provider: User; facility: Facility },
): AppointmentView {
  return {
    ...a,
    patient_first_name: refs.patient.first_name,
    patient_last_name: refs.patient.last_name,
    patient_mrn: refs.patient.patient_id,
    provider_first_name: refs.provider.first_name,
    provider_last_name: refs.provider.last_name,
    provider_user_type: refs.provider.user_type,
    facility_name: refs.facility.name,
    facility_timezone: refs.facility.timezone,
  };
}

/**
 * Reads every page of a list, `limit` rows at a time, checking that each page reports
 * the same count and that the pages add up to it.
 */
export async function readAllPages<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  limit: number,
): Promise<{ count: number; rows: T[] }> {
  const rows: T[] = [];
  let count: number | undefined;
  for (let offset = 0; ; offset += limit) {
    const page = await list({ limit, offset });
    if (count !== undefined && page.count !== count) {
      throw new Error(`count changed between pages: ${count} then ${page.count}`);
    }
    count = page.count;
    rows.push(...page.rows);
    if (page.rows.length < limit) break;
  }
  if (rows.length !== count) throw new Error(`pages hold ${rows.length} rows, count is ${count}`);
  return { count, rows };
}

/** By `key` (ascending unless `descending`), then by id ascending: the lists' stable order. */
export function byKeyThenId<T extends { id: string }>(key: (row: T) => number, descending = false) {
  return (a: T, b: T): number => {
    const d = descending ? key(b) - key(a) : key(a) - key(b);
    if (d !== 0) return d;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
