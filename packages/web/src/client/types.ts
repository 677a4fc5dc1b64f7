/** The API's JSON shapes, as the page uses them (docs/API.md has the full contracts). */
import type { AppointmentStatus } from '@clinic/domain';

export type Status = AppointmentStatus;

export interface Appointment {
  id: string;
  patient: string;
  patient_name: string;
  patient_mrn: string;
  provider: string;
  provider_name: string;
  facility: string;
  facility_name: string;
  facility_timezone: string;
  appointment_type: string;
  reason: string;
  status: Status;
  start_time: string;
  end_time: string;
  duration_minutes: number;
  is_upcoming: boolean;
  origin_node: string;
  version: number;
  created_at: string;
}

export interface LateConflict {
  id: string;
  kind: 'provider' | 'patient' | 'facility' | 'edit';
  appointments: string[];
  status: 'open' | 'resolved';
  detected_at: string;
}

export interface AppointmentDetail extends Appointment {
  notifications_sent: {
    type: string;
    recipient: string;
    method: string;
    event: string;
    sent_at: string;
  }[];
  conflicts?: LateConflict[];
  sync?: { state: 'synced' | 'pending' | 'rejected'; code: string | null; message: string | null };
}

export interface Conflict extends LateConflict {
  resolved_at: string | null;
  resolution: string | null;
  details: Record<string, unknown>;
}

export interface Facility {
  id: string;
  name: string;
  timezone: string;
  capacity: number;
  is_active: boolean;
}

export interface User {
  id: string;
  username: string;
  role: string;
  user_type: string;
  first_name: string;
  last_name: string;
  facilities: string[];
  is_active: boolean;
}

export interface Patient {
  id: string;
  patient_id: string;
  first_name: string;
  last_name: string;
  phone_number: string;
  email: string;
  registered_facility: string | null;
  is_active: boolean;
}

export interface NodeInfo {
  id: string;
  name: string;
  facilities: string[];
  created_at: string;
  revoked_at: string | null;
  last_push_at: string | null;
  last_pull_at: string | null;
  last_applied_seq: number;
  backlog: number | null;
  protocol_version: number | null;
  last_error: string | null;
}

export interface SyncStatus {
  online: boolean;
  node_id: string;
  pending_mutations: number;
  last_push_at: string | null;
  last_pull_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  push_error: string | null;
  pull_error: string | null;
  rejected: {
    seq: number;
    kind: string;
    entity_id: string;
    code: string | null;
    message: string | null;
    at: string | null;
  }[];
  open_conflicts: number;
}

interface ClashItem {
  id: string;
  start_time: string;
  end_time: string;
  patient__first_name: string;
  patient__last_name: string;
}

export interface ConflictCheck {
  has_conflicts: boolean;
  conflicts: { provider?: ClashItem[]; patient?: ClashItem[]; facility?: ClashItem[] };
  late_conflicts?: LateConflict[];
}

export { APPOINTMENT_TYPES } from '@clinic/domain';

export const STATUS_LABEL: Record<Status, string> = {
  scheduled: 'Scheduled',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

export const CONFLICT_KIND_LABEL: Record<LateConflict['kind'], string> = {
  provider: 'Provider conflict',
  patient: 'Patient conflict',
  facility: 'Facility conflict',
  edit: 'Edit conflict',
};

/** "follow_up" → "Follow up". */
export function humanize(value: string): string {
  const text = value.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
