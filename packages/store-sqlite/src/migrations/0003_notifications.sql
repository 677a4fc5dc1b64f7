-- 0003_notifications: the notification queue becomes a delivery queue (issue 4): who
-- delivers each row (owner), when it may be tried next, the last error, what a conflict
-- or reminder notification refers to, and when the row last changed. Statuses gain
-- `sending` (claimed by a dispatcher) and `dropped` (never to be sent).
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt (create the
-- new table, copy, drop the old one, rename: the order SQLite's ALTER TABLE documentation
-- gives). Nothing references notifications, so foreign keys may stay on. Rows queued
-- before this migration are central's to deliver, due when they were queued.

CREATE TABLE notifications_new (
  id              TEXT    NOT NULL PRIMARY KEY,
  appointment_id  TEXT    NOT NULL REFERENCES appointments (id),
  event           TEXT    NOT NULL,
  recipient       TEXT    NOT NULL,
  channel         TEXT    NOT NULL,
  address         TEXT    NOT NULL,
  dedupe_key      TEXT    NOT NULL UNIQUE,
  status          TEXT    NOT NULL
                  CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
  attempts        INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER,
  owner           TEXT    NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  -- No foreign key: conflicts arrive from central on their own stream, in any order.
  conflict_id     TEXT,
  reminder_for    INTEGER,
  updated_at      INTEGER NOT NULL
) STRICT;

INSERT INTO notifications_new
  (id, appointment_id, event, recipient, channel, address, dedupe_key, status, attempts,
   created_at, sent_at, owner, next_attempt_at, last_error, conflict_id, reminder_for,
   updated_at)
SELECT id, appointment_id, event, recipient, channel, address, dedupe_key, status, attempts,
       created_at, sent_at, 'central', created_at, NULL, NULL, NULL, created_at
  FROM notifications;

DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;

-- listSentNotifications, pendingReminders, listNotifications({appointment}).
CREATE INDEX notifications_appointment_created ON notifications (appointment_id, created_at, id);
-- The dead letter, listNotifications({status: 'failed'}). Partial: a booking's rows never
-- enter it (other status lists are rare admin reads and scan).
CREATE INDEX notifications_failed ON notifications (created_at, id) WHERE status = 'failed';
-- releaseNotificationClaims after a crash: the rows a dispatcher had claimed (a handful).
CREATE INDEX notifications_sending ON notifications (owner) WHERE status = 'sending';
-- claimNotifications and nextNotificationDue: one owner's due rows, oldest first. Partial:
-- only the waiting rows, so the index stays as small as the backlog.
CREATE INDEX notifications_claim ON notifications (owner, next_attempt_at, id)
  WHERE status = 'pending';

-- The outbox gains the `notifications.put` mutation (a node's queued notifications and
-- their delivery state, for central). Rebuilt the same way; the AUTOINCREMENT counter is
-- carried over, so a sequence number is never reused even if the newest rows were pruned.
CREATE TABLE outbox_new (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT    NOT NULL
             CHECK (kind IN ('appointment.put', 'patient.put', 'notifications.put')),
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

INSERT INTO outbox_new (seq, kind, entity_id, hlc, args, status, code, message, created_at,
                        acked_at)
SELECT seq, kind, entity_id, hlc, args, status, code, message, created_at, acked_at
  FROM outbox;

DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_status_seq ON outbox (status, seq);
CREATE INDEX outbox_entity_status ON outbox (entity_id, status);
