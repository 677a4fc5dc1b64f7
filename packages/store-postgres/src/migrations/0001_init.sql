-- 0001_init: the central schema. Ids are uuid, times timestamptz (the store converts to
-- and from UTC epoch milliseconds), booleans boolean. Foreign keys are DEFERRABLE
-- INITIALLY DEFERRED so that one transaction (a write, a sync batch) may insert rows in
-- any order; they are checked at COMMIT.

CREATE TABLE facilities (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  timezone text NOT NULL,
  capacity integer NOT NULL,
  is_active boolean NOT NULL,
  origin_node text NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX facilities_created_id ON facilities (created_at, id);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'provider', 'patient')),
  user_type text NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text NOT NULL,
  phone_number text NOT NULL,
  is_active boolean NOT NULL,
  origin_node text NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT users_username_key UNIQUE (username)
);
CREATE INDEX users_created_id ON users (created_at, id);

-- User.facilities: which facilities a user works at (read back sorted by id).
CREATE TABLE user_facilities (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  facility_id uuid NOT NULL REFERENCES facilities (id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (user_id, facility_id)
);
CREATE INDEX user_facilities_facility ON user_facilities (facility_id, user_id);

CREATE TABLE patients (
  id uuid PRIMARY KEY,
  patient_id text NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  phone_number text NOT NULL,
  email text NOT NULL,
  registered_facility uuid REFERENCES facilities (id) DEFERRABLE INITIALLY DEFERRED,
  is_active boolean NOT NULL,
  origin_node text NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT patients_patient_id_key UNIQUE (patient_id)
);
CREATE INDEX patients_created_id ON patients (created_at, id);
CREATE INDEX patients_registered_facility ON patients (registered_facility);

CREATE TABLE appointments (
  id uuid PRIMARY KEY,
  patient uuid NOT NULL REFERENCES patients (id) DEFERRABLE INITIALLY DEFERRED,
  provider uuid NOT NULL REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED,
  facility uuid NOT NULL REFERENCES facilities (id) DEFERRABLE INITIALLY DEFERRED,
  appointment_type text NOT NULL,
  reason text NOT NULL,
  status text NOT NULL CHECK (status IN ('scheduled', 'completed', 'cancelled', 'no_show')),
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL,
  created_by uuid REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED,
  deleted_at timestamptz,
  origin_node text NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- The overlap query is three range scans, one per dimension, bounded on start_time.
CREATE INDEX appointments_provider_start ON appointments (provider, start_time);
CREATE INDEX appointments_patient_start ON appointments (patient, start_time);
CREATE INDEX appointments_facility_start ON appointments (facility, start_time);
-- Listing orders (ties broken by id).
CREATE INDEX appointments_start_id ON appointments (start_time, id);
CREATE INDEX appointments_created_id ON appointments (created_at, id);

CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  appointment_id uuid NOT NULL REFERENCES appointments (id) DEFERRABLE INITIALLY DEFERRED,
  event text NOT NULL CHECK (event IN ('created', 'updated', 'cancelled', 'reminder')),
  recipient text NOT NULL CHECK (recipient IN ('patient', 'provider')),
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  address text NOT NULL,
  dedupe_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  CONSTRAINT notifications_dedupe_key_key UNIQUE (dedupe_key)
);
CREATE INDEX notifications_appointment_created ON notifications (appointment_id, created_at, id);

-- The node's own metadata (node id, schema info).
CREATE TABLE meta (
  key text PRIMARY KEY,
  value text NOT NULL
);
