-- 0001_init: the scheduling schema of a clinic (edge) node.
--
-- Mirrors the row types of packages/domain/src/model.ts one column per field:
-- times are INTEGER epoch milliseconds (UTC), booleans INTEGER 0/1, ids TEXT UUIDs.
-- STRICT tables make SQLite reject values of the wrong type instead of coercing them.

CREATE TABLE facilities (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL,
  timezone    TEXT    NOT NULL,
  capacity    INTEGER NOT NULL,
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  origin_node TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
  id            TEXT    NOT NULL PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  user_type     TEXT    NOT NULL,
  first_name    TEXT    NOT NULL,
  last_name     TEXT    NOT NULL,
  email         TEXT    NOT NULL,
  phone_number  TEXT    NOT NULL,
  is_active     INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  origin_node   TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX users_created_at_id ON users (created_at, id);

-- User.facilities: which facilities a user works at.
CREATE TABLE user_facilities (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  facility_id TEXT NOT NULL REFERENCES facilities (id),
  PRIMARY KEY (user_id, facility_id)
) STRICT, WITHOUT ROWID;

-- listUsers({facility}) and the foreign-key check on facilities.
CREATE INDEX user_facilities_facility_user ON user_facilities (facility_id, user_id);

CREATE TABLE patients (
  id                  TEXT    NOT NULL PRIMARY KEY,
  patient_id          TEXT    NOT NULL UNIQUE,
  first_name          TEXT    NOT NULL,
  last_name           TEXT    NOT NULL,
  phone_number        TEXT    NOT NULL,
  email               TEXT    NOT NULL,
  registered_facility TEXT             REFERENCES facilities (id),
  is_active           INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  origin_node         TEXT    NOT NULL,
  version             INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
) STRICT;

CREATE INDEX patients_created_at_id ON patients (created_at, id);
CREATE INDEX patients_registered_facility ON patients (registered_facility, created_at, id);

CREATE TABLE appointments (
  id               TEXT    NOT NULL PRIMARY KEY,
  patient          TEXT    NOT NULL REFERENCES patients (id),
  provider         TEXT    NOT NULL REFERENCES users (id),
  facility         TEXT    NOT NULL REFERENCES facilities (id),
  appointment_type TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  status           TEXT    NOT NULL
                   CHECK (status IN ('scheduled', 'completed', 'cancelled', 'no_show')),
  start_time       INTEGER NOT NULL,
  end_time         INTEGER NOT NULL,
  created_by       TEXT             REFERENCES users (id),
  deleted_at       INTEGER,
  origin_node      TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

-- The overlap query is three range scans, one per dimension, each bounded on start_time
-- (see overlap-query.ts). These are deliberately NOT partial indexes: the active-status
-- filter is applied to the few rows in the range, written as literal SQL.
CREATE INDEX appointments_provider_start ON appointments (provider, start_time);
CREATE INDEX appointments_patient_start ON appointments (patient, start_time);
CREATE INDEX appointments_facility_start ON appointments (facility, start_time);
-- listAppointments orderings (ties broken by id).
CREATE INDEX appointments_start_id ON appointments (start_time, id);
CREATE INDEX appointments_created_id ON appointments (created_at, id);

CREATE TABLE notifications (
  id             TEXT    NOT NULL PRIMARY KEY,
  appointment_id TEXT    NOT NULL REFERENCES appointments (id),
  event          TEXT    NOT NULL,
  recipient      TEXT    NOT NULL,
  channel        TEXT    NOT NULL,
  address        TEXT    NOT NULL,
  dedupe_key     TEXT    NOT NULL UNIQUE,
  status         TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts       INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  sent_at        INTEGER
) STRICT;

-- listSentNotifications (one appointment, oldest first).
CREATE INDEX notifications_appointment_created ON notifications (appointment_id, created_at, id);

-- The node's own key/value metadata (node id, schema info).
CREATE TABLE meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
