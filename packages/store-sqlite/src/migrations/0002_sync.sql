-- 0002_sync: what a clinic node needs to sync with central (see sync/SPEC.md).

-- The HLC of the last write of each register (appointments) or field (patients), as JSON.
ALTER TABLE appointments ADD COLUMN clocks TEXT NOT NULL DEFAULT '{}';
ALTER TABLE patients ADD COLUMN clocks TEXT NOT NULL DEFAULT '{}';

-- The node's mutations, written in the transaction of each local write. seq is the
-- node's sequence number; AUTOINCREMENT so a number is never reused, even if old rows
-- are ever pruned (central de-duplicates by it).
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT    NOT NULL CHECK (kind IN ('appointment.put', 'patient.put')),
  entity_id  TEXT    NOT NULL,
  hlc        TEXT    NOT NULL,
  args       TEXT    NOT NULL,
  status     TEXT    NOT NULL
             CHECK (status IN ('pending', 'applied', 'applied_with_conflict', 'rejected')),
  code       TEXT,
  message    TEXT,
  created_at INTEGER NOT NULL,
  acked_at   INTEGER
) STRICT;

CREATE INDEX outbox_status_seq ON outbox (status, seq);
CREATE INDEX outbox_entity_status ON outbox (entity_id, status);

-- Conflict records, made by central and pulled (a node never writes them itself).
-- No foreign keys: rows arrive from separate streams in any order.
CREATE TABLE conflicts (
  id            TEXT    NOT NULL PRIMARY KEY,
  kind          TEXT    NOT NULL,
  appointment_a TEXT    NOT NULL,
  appointment_b TEXT,
  status        TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
  detected_at   INTEGER NOT NULL,
  resolved_at   INTEGER,
  resolution    TEXT,
  details       TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX conflicts_status_detected ON conflicts (status, detected_at, id);
CREATE INDEX conflicts_appointment_a ON conflicts (appointment_a);
CREATE INDEX conflicts_appointment_b ON conflicts (appointment_b);

-- Pulled rows that could not be applied yet: the row has pending local mutations, or
-- its parent row (patient, user, facility) has not arrived on its own stream yet.
CREATE TABLE sync_deferred (
  tbl     TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  value   TEXT    NOT NULL,
  reason  TEXT    NOT NULL CHECK (reason IN ('pending', 'parent')),
  PRIMARY KEY (tbl, key)
) STRICT, WITHOUT ROWID;
