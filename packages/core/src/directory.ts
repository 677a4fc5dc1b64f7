/**
 * Reference data use cases: facilities, users (staff and patients' accounts) and
 * patients. Facilities and users are managed by admins; patients can be registered by
 * staff on any node, offline included.
 */
import {
  addFieldError,
  formatClocks,
  parseFieldClocks,
  hasErrors,
  isValidTimeZone,
  notFound,
  validationError,
  type Facility,
  type FieldErrors,
  type Patient,
  type User,
  type Versioned,
} from '@clinic/domain';
import type { CoreDeps } from './context';
import type { Page, PageRequest, PatientQuery, UserQuery, WriteTx } from './store';

/** The writable fields of each record: everything but the id and the sync provenance. */
export type FacilityFields = Omit<Facility, 'id' | keyof Versioned>;
export type UserFields = Omit<User, 'id' | keyof Versioned>;
export type PatientFields = Omit<Patient, 'id' | 'clocks' | keyof Versioned>;

/** A user's facility links as every store keeps them: each once, sorted by id. */
function facilitySet(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort();
}

async function checkFacilitiesExist(
  tx: WriteTx,
  field: string,
  facilityIds: readonly string[],
  errors: FieldErrors,
): Promise<void> {
  for (const id of facilityIds) {
    if (!(await tx.getFacility(id))) {
      addFieldError(errors, field, `Invalid pk "${id}" - object does not exist.`);
    }
  }
}

export function createDirectoryService(deps: CoreDeps) {
  const { store, clock, ids, nodeId, hlc, hooks } = deps;

  /** Writes a patient with a fresh HLC on each changed field, then the node's write hook. */
  async function savePatient(tx: WriteTx, before: Patient | undefined, next: Patient) {
    const fields = Object.keys(next).filter(
      (k) => !['id', 'clocks', 'origin_node', 'version', 'created_at', 'updated_at'].includes(k),
    ) as (keyof Patient)[];
    const changed = before ? fields.filter((f) => before[f] !== next[f]) : fields;
    const clocks: Record<string, string> = before ? parseFieldClocks(before.clocks) : {};
    const stamp = hlc.now();
    for (const f of changed) clocks[f] = stamp;
    const row: Patient = { ...next, clocks: formatClocks(clocks) };
    if (before) await tx.updatePatient(row);
    else await tx.insertPatient(row);
    await hooks?.patientWritten?.(tx, { before, after: row, changed, clocks });
    return row;
  }

  function stamp(): {
    origin_node: string;
    version: number;
    created_at: number;
    updated_at: number;
  } {
    const now = clock.now();
    return { origin_node: nodeId, version: 1, created_at: now, updated_at: now };
  }

  function bump<T extends { version: number }>(row: T): T {
    return { ...row, origin_node: nodeId, version: row.version + 1, updated_at: clock.now() };
  }

  function checkTimeZone(fields: Partial<FacilityFields>): void {
    if (fields.timezone !== undefined && !isValidTimeZone(fields.timezone)) {
      throw validationError({ timezone: [`"${fields.timezone}" is not a valid IANA time zone.`] });
    }
  }

  return {
    facilities: {
      async create(fields: FacilityFields): Promise<Facility> {
        checkTimeZone(fields);
        const row: Facility = { id: ids.next(), ...fields, ...stamp() };
        await store.write((tx) => tx.insertFacility(row));
        return row;
      },
      async update(id: string, patch: Partial<FacilityFields>): Promise<Facility> {
        checkTimeZone(patch);
        return store.write(async (tx) => {
          await tx.lock([`facility:${id}`]);
          const current = await tx.getFacility(id);
          if (!current) throw notFound();
          const next = bump({ ...current, ...patch });
          await tx.updateFacility(next);
          return next;
        });
      },
      async get(id: string): Promise<Facility> {
        return (await store.getFacility(id)) ?? Promise.reject(notFound());
      },
      list(page: PageRequest): Promise<Page<Facility>> {
        return store.listFacilities(page);
      },
    },

    users: {
      async create(fields: UserFields): Promise<User> {
        const row: User = {
          id: ids.next(),
          ...fields,
          facilities: facilitySet(fields.facilities),
          ...stamp(),
        };
        await store.write(async (tx) => {
          const errors: FieldErrors = {};
          await checkFacilitiesExist(tx, 'facilities', fields.facilities, errors);
          if (hasErrors(errors)) throw validationError(errors);
          await tx.insertUser(row);
        });
        return row;
      },
      async update(id: string, patch: Partial<UserFields>): Promise<User> {
        return store.write(async (tx) => {
          await tx.lock([`user:${id}`]);
          const current = await tx.getUser(id);
          if (!current) throw notFound();
          const errors: FieldErrors = {};
          if (patch.facilities) {
            await checkFacilitiesExist(tx, 'facilities', patch.facilities, errors);
          }
          if (hasErrors(errors)) throw validationError(errors);
          const next = bump({ ...current, ...patch });
          next.facilities = facilitySet(next.facilities);
          await tx.updateUser(next);
          return next;
        });
      },
      async get(id: string): Promise<User> {
        return (await store.getUser(id)) ?? Promise.reject(notFound());
      },
      findById(id: string): Promise<User | undefined> {
        return store.getUser(id);
      },
      findByUsername(username: string): Promise<User | undefined> {
        return store.getUserByUsername(username);
      },
      list(query: UserQuery): Promise<Page<User>> {
        return store.listUsers(query);
      },
    },

    patients: {
      async create(fields: PatientFields): Promise<Patient> {
        const fresh: Patient = { id: ids.next(), ...fields, clocks: '{}', ...stamp() };
        return store.write(async (tx) => {
          const errors: FieldErrors = {};
          if (fields.registered_facility !== null) {
            await checkFacilitiesExist(
              tx,
              'registered_facility',
              [fields.registered_facility],
              errors,
            );
          }
          if (hasErrors(errors)) throw validationError(errors);
          return savePatient(tx, undefined, fresh);
        });
      },
      async update(id: string, patch: Partial<PatientFields>): Promise<Patient> {
        return store.write(async (tx) => {
          await tx.lock([`patient:${id}`]);
          const current = await tx.getPatient(id);
          if (!current) throw notFound();
          const errors: FieldErrors = {};
          if (patch.registered_facility) {
            await checkFacilitiesExist(
              tx,
              'registered_facility',
              [patch.registered_facility],
              errors,
            );
          }
          if (hasErrors(errors)) throw validationError(errors);
          return savePatient(tx, current, bump({ ...current, ...patch }));
        });
      },
      async get(id: string): Promise<Patient> {
        return (await store.getPatient(id)) ?? Promise.reject(notFound());
      },
      list(query: PatientQuery): Promise<Page<Patient>> {
        return store.listPatients(query);
      },
    },
  };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;
