-- 0002_sync: what central needs to receive, re-validate and serve the nodes' changes
-- (see sync/SPEC.md).

-- The HLC of the last write of each register (appointments) or field (patients), as JSON.
ALTER TABLE appointments ADD COLUMN clocks text NOT NULL DEFAULT '{}';
ALTER TABLE patients ADD COLUMN clocks text NOT NULL DEFAULT '{}';

-- Late conflicts: two appointments that overlap (kind provider|patient|facility, one
-- record per pair and kind: dedupe_key), or a concurrent edit whose losing value is kept
-- (kind edit, one appointment).
CREATE TABLE conflicts (
  id            uuid PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('provider', 'patient', 'facility', 'edit')),
  appointment_a uuid NOT NULL REFERENCES appointments (id) DEFERRABLE INITIALLY DEFERRED,
  appointment_b uuid REFERENCES appointments (id) DEFERRABLE INITIALLY DEFERRED,
  status        text NOT NULL CHECK (status IN ('open', 'resolved')),
  detected_at   timestamptz NOT NULL,
  resolved_at   timestamptz,
  resolution    text,
  details       text NOT NULL,
  dedupe_key    text NOT NULL,
  version       integer NOT NULL,
  updated_at    timestamptz NOT NULL,
  CONSTRAINT conflicts_dedupe_key_key UNIQUE (dedupe_key)
);
CREATE INDEX conflicts_status_detected ON conflicts (status, detected_at, id);
CREATE INDEX conflicts_appointment_a ON conflicts (appointment_a);
CREATE INDEX conflicts_appointment_b ON conflicts (appointment_b);

-- Enrolled clinic nodes. The token is shown once; only its SHA-256 is kept.
CREATE TABLE nodes (
  id               uuid PRIMARY KEY,
  name             text NOT NULL,
  token_hash       text NOT NULL,
  facilities       uuid[] NOT NULL,
  created_at       timestamptz NOT NULL,
  revoked_at       timestamptz,
  last_seq         bigint NOT NULL DEFAULT 0,
  last_push_at     timestamptz,
  last_pull_at     timestamptz,
  backlog          integer,
  protocol_version integer,
  last_error       text
);

-- The answer to each pushed mutation, so a replay gets the same answer and changes nothing.
CREATE TABLE sync_receipts (
  node_id    uuid   NOT NULL REFERENCES nodes (id) DEFERRABLE INITIALLY DEFERRED,
  seq        bigint NOT NULL,
  outcome    text   NOT NULL,
  applied_at timestamptz NOT NULL,
  PRIMARY KEY (node_id, seq)
);

-- Every insert or update of a synced table, in commit order per row, for the shape
-- server. prev is set (JSON) when a change can move rows out of a node's scope.
CREATE TABLE change_log (
  seq  bigserial PRIMARY KEY,
  tbl  text NOT NULL,
  key  text NOT NULL,
  prev text
);

CREATE FUNCTION clinic_log_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_log (tbl, key) VALUES (TG_TABLE_NAME, NEW.id::text);
  RETURN NULL;
END $$;

CREATE TRIGGER facilities_log AFTER INSERT OR UPDATE ON facilities
  FOR EACH ROW EXECUTE FUNCTION clinic_log_row();
CREATE TRIGGER users_log AFTER INSERT OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION clinic_log_row();
CREATE TRIGGER conflicts_log AFTER INSERT OR UPDATE ON conflicts
  FOR EACH ROW EXECUTE FUNCTION clinic_log_row();

-- A patient's registration decides which nodes see them and their appointments.
CREATE FUNCTION clinic_log_patient() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved boolean := TG_OP = 'UPDATE'
    AND OLD.registered_facility IS DISTINCT FROM NEW.registered_facility;
BEGIN
  INSERT INTO change_log (tbl, key, prev) VALUES ('patients', NEW.id::text,
    CASE WHEN moved THEN json_build_object('registered_facility', OLD.registered_facility)::text END);
  IF moved THEN
    INSERT INTO change_log (tbl, key, prev)
      SELECT 'appointments', a.id::text,
             json_build_object('patient_registered_facility', OLD.registered_facility)::text
        FROM appointments a WHERE a.patient = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER patients_log AFTER INSERT OR UPDATE ON patients
  FOR EACH ROW EXECUTE FUNCTION clinic_log_patient();

-- An appointment brings its patient and people into the scopes it enters.
CREATE FUNCTION clinic_log_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved boolean := TG_OP = 'UPDATE'
    AND (OLD.facility, OLD.provider, OLD.patient) IS DISTINCT FROM (NEW.facility, NEW.provider, NEW.patient);
BEGIN
  INSERT INTO change_log (tbl, key, prev) VALUES ('appointments', NEW.id::text,
    CASE WHEN moved THEN json_build_object('facility', OLD.facility, 'provider', OLD.provider,
                                           'patient', OLD.patient)::text END);
  IF TG_OP = 'INSERT' OR moved THEN
    INSERT INTO change_log (tbl, key) VALUES ('patients', NEW.patient::text), ('users', NEW.provider::text);
    IF NEW.created_by IS NOT NULL AND NEW.created_by <> NEW.provider THEN
      INSERT INTO change_log (tbl, key) VALUES ('users', NEW.created_by::text);
    END IF;
  END IF;
  -- The people it leaves may leave some nodes' scope with it: prev makes the shape server
  -- send those nodes a delete.
  IF moved THEN
    INSERT INTO change_log (tbl, key, prev) VALUES
      ('patients', OLD.patient::text, json_build_object('appointment', NEW.id)::text),
      ('users', OLD.provider::text, json_build_object('appointment', NEW.id)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_log AFTER INSERT OR UPDATE ON appointments
  FOR EACH ROW EXECUTE FUNCTION clinic_log_appointment();

-- A staff link decides which nodes see the user (with password hash) and their bookings.
CREATE FUNCTION clinic_log_user_facility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  link user_facilities;
BEGIN
  IF TG_OP = 'DELETE' THEN link := OLD; ELSE link := NEW; END IF;
  INSERT INTO change_log (tbl, key, prev) VALUES
    ('user_facilities', link.user_id::text || ':' || link.facility_id::text,
     CASE WHEN TG_OP = 'DELETE' THEN json_build_object('deleted', true)::text END),
    ('users', link.user_id::text, json_build_object('facility', link.facility_id)::text);
  INSERT INTO change_log (tbl, key, prev)
    SELECT 'appointments', a.id::text, json_build_object('provider_facility', link.facility_id)::text
      FROM appointments a WHERE a.provider = link.user_id;
  RETURN NULL;
END $$;
CREATE TRIGGER user_facilities_log AFTER INSERT OR DELETE ON user_facilities
  FOR EACH ROW EXECUTE FUNCTION clinic_log_user_facility();
