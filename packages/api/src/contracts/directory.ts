/** Contracts of the reference data: facilities, users, patients. */
import { ROLES, USER_TYPES } from '@clinic/domain';
import { z } from 'zod';
import {
  cleanString,
  isoTimestamp,
  pageQuery,
  requiredText,
  searchText,
  text,
  timeZone,
  uuid,
} from './common';

const phone = cleanString()
  .trim()
  .max(32)
  .regex(/^$|^\+?[0-9 ()-]{4,31}$/, { error: 'Enter a valid phone number.' });
const email = cleanString()
  .trim()
  .max(254)
  .regex(/^$|^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: 'Enter a valid email address.' });

// PATCH schemas are built from the bare fields: zod's .partial() keeps .default()s,
// which would silently reset every omitted field.
const facilityFields = {
  name: requiredText(200),
  timezone: timeZone,
  capacity: z.number().int().min(1).max(1000),
  is_active: z.boolean(),
};
export const facilityCreate = z
  .object({
    ...facilityFields,
    capacity: facilityFields.capacity.default(1),
    is_active: facilityFields.is_active.default(true),
  })
  .meta({ id: 'FacilityCreate' });
export const facilityPatch = z.object(facilityFields).partial().meta({ id: 'FacilityPatch' });
export const facilityOut = z
  .object({
    id: uuid,
    name: z.string(),
    timezone: z.string(),
    capacity: z.number().int(),
    is_active: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Facility' });

const userFields = {
  username: cleanString()
    .trim()
    .min(1)
    .max(150)
    .regex(/^[\w.@+-]+$/, {
      error: 'Enter a valid username: letters, digits and @/./+/-/_ only.',
    }),
  password: cleanString().min(8).max(256).meta({ writeOnly: true }),
  role: z.enum(ROLES),
  user_type: z.enum(USER_TYPES),
  first_name: text(150),
  last_name: text(150),
  email,
  phone_number: phone,
  facilities: z.array(uuid).max(100),
  is_active: z.boolean(),
};
export const userCreate = z
  .object({
    ...userFields,
    first_name: userFields.first_name.default(''),
    last_name: userFields.last_name.default(''),
    email: email.default(''),
    phone_number: phone.default(''),
    facilities: userFields.facilities.default([]),
    is_active: userFields.is_active.default(true),
  })
  .meta({ id: 'UserCreate' });
export const userPatch = z.object(userFields).partial().meta({ id: 'UserPatch' });
export const userListQuery = pageQuery.extend({
  role: z.enum(ROLES).optional(),
  facility: uuid.optional(),
  search: searchText.optional(),
});
export const userOut = z
  .object({
    id: uuid,
    username: z.string(),
    role: z.enum(ROLES),
    user_type: z.enum(USER_TYPES),
    first_name: z.string(),
    last_name: z.string(),
    email: z.string(),
    phone_number: z.string(),
    facilities: z.array(uuid),
    is_active: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'User' });

const patientFields = {
  patient_id: requiredText(64).meta({ description: 'Medical record number, unique' }),
  first_name: requiredText(150),
  last_name: requiredText(150),
  phone_number: phone,
  email,
  registered_facility: uuid.nullable(),
  is_active: z.boolean(),
};
export const patientCreate = z
  .object({
    ...patientFields,
    phone_number: phone.default(''),
    email: email.default(''),
    registered_facility: patientFields.registered_facility.default(null),
    is_active: patientFields.is_active.default(true),
  })
  .meta({ id: 'PatientCreate' });
export const patientPatch = z.object(patientFields).partial().meta({ id: 'PatientPatch' });
export const patientListQuery = pageQuery.extend({
  search: searchText.optional(),
  registered_facility: uuid.optional(),
});
export const patientOut = z
  .object({
    id: uuid,
    patient_id: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    phone_number: z.string(),
    email: z.string(),
    registered_facility: uuid.nullable(),
    is_active: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Patient' });
