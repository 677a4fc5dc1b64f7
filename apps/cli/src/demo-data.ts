/**
 * Demo data for `clinic demo`: two facilities, four health workers, patients and a
 * week of appointments. Made once, on first run (when the node has no facilities).
 */
import { hashPassword } from '@clinic/auth';
import type { AppointmentType } from '@clinic/domain';
import type { NodeRuntime } from '@clinic/server';

export const DEMO_PASSWORD = 'clinic-demo-2026';
/** The facility the demo's clinic node is enrolled for. */
export const DEMO_CLINIC_FACILITY = 'Hope Clinic';
export const DEMO_ADMIN = { username: 'admin', password: 'admin-demo-2026' };

export const DEMO_STAFF = [
  { username: 'dr.amina', first_name: 'Amina', last_name: 'Odhiambo', user_type: 'doctor' },
  { username: 'nurse.joseph', first_name: 'Joseph', last_name: 'Mwangi', user_type: 'nurse' },
  { username: 'midwife.grace', first_name: 'Grace', last_name: 'Achieng', user_type: 'midwife' },
  { username: 'chw.peter', first_name: 'Peter', last_name: 'Kamau', user_type: 'community_worker' },
] as const;

const PATIENTS = [
  ['MRN-0001', 'John', 'Otieno'],
  ['MRN-0002', 'Mary', 'Wanjiru'],
  ['MRN-0003', 'Fatuma', 'Hassan'],
  ['MRN-0004', 'David', 'Kiprop'],
  ['MRN-0005', 'Esther', 'Nyambura'],
  ['MRN-0006', 'Samuel', 'Mutua'],
  ['MRN-0007', 'Halima', 'Abdi'],
  ['MRN-0008', 'Brian', 'Ochieng'],
] as const;

const TYPES: AppointmentType[] = ['consultation', 'antenatal', 'vaccination', 'follow_up'];

/** Seeds the node unless it already has facilities. Returns whether it seeded. */
export async function seedDemoData(runtime: NodeRuntime): Promise<boolean> {
  const { directory, appointments, clock } = runtime;
  if ((await directory.facilities.list({ limit: 1, offset: 0 })).count > 0) return false;

  const hope = await directory.facilities.create({
    name: DEMO_CLINIC_FACILITY,
    timezone: 'Africa/Nairobi',
    capacity: 3,
    is_active: true,
  });
  const river = await directory.facilities.create({
    name: 'Riverside Health Centre',
    timezone: 'Africa/Kampala',
    capacity: 2,
    is_active: true,
  });

  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const staff = [];
  for (const [i, s] of DEMO_STAFF.entries()) {
    staff.push(
      await directory.users.create({
        ...s,
        password_hash: passwordHash,
        role: 'provider',
        email: `${s.username.replace('.', '_')}@clinic.example`,
        phone_number: `+2547000000${i + 1}`,
        facilities: i === 3 ? [hope.id, river.id] : [hope.id],
        is_active: true,
      }),
    );
  }

  const patients = [];
  for (const [i, [mrn, first, last]] of PATIENTS.entries()) {
    patients.push(
      await directory.patients.create({
        patient_id: mrn,
        first_name: first,
        last_name: last,
        phone_number: `+2547110000${i + 1}`,
        email: i % 2 === 0 ? `${first.toLowerCase()}@patients.example` : '',
        registered_facility: i < 6 ? hope.id : river.id,
        is_active: true,
      }),
    );
  }

  // From tomorrow 06:00 UTC (09:00 in Nairobi), one 30-minute slot per provider per day.
  const admin = await directory.users.findByUsername(DEMO_ADMIN.username);
  const actor = { userId: admin?.id ?? staff[0]!.id, role: 'admin' as const };
  const day = 24 * 3600_000;
  const firstDay = Math.floor(clock.now() / day) * day + day + 6 * 3600_000;
  let n = 0;
  for (let d = 0; d < 5; d += 1) {
    for (const [p, provider] of staff.entries()) {
      const patient = patients[(d * staff.length + p) % patients.length]!;
      const start = firstDay + d * day + p * 45 * 60_000;
      await appointments.create(
        {
          patient: patient.id,
          provider: provider.id,
          facility: p === 3 && d % 2 === 1 ? river.id : hope.id,
          appointment_type: TYPES[(d + p) % TYPES.length]!,
          reason: 'Demo visit',
          start_time: start,
          end_time: start + 30 * 60_000,
        },
        actor,
      );
      n += 1;
    }
  }
  return n > 0;
}
