-- 0004_notifications: the notification queue becomes a delivery queue (issue 4): who
-- delivers each row (owner), when it may be tried next, the last error, what a conflict
-- or reminder notification refers to, and when the row last changed. Statuses gain
-- `sending` (claimed by a dispatcher) and `dropped` (never to be sent); events gain
-- `conflict`, recipients `admin`. Rows queued before this migration are central's to
-- deliver, due when they were queued.

ALTER TABLE notifications
  ADD COLUMN owner text NOT NULL DEFAULT 'central',
  ADD COLUMN next_attempt_at timestamptz,
  ADD COLUMN last_error text,
  -- No foreign key, as on the nodes (where conflicts arrive on their own stream).
  ADD COLUMN conflict_id uuid,
  ADD COLUMN reminder_for timestamptz,
  ADD COLUMN updated_at timestamptz;

UPDATE notifications SET next_attempt_at = created_at, updated_at = created_at;

ALTER TABLE notifications
  ALTER COLUMN owner DROP DEFAULT,
  ALTER COLUMN next_attempt_at SET NOT NULL,
  ALTER COLUMN updated_at SET NOT NULL,
  DROP CONSTRAINT notifications_event_check,
  DROP CONSTRAINT notifications_recipient_check,
  DROP CONSTRAINT notifications_status_check,
  ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('created', 'updated', 'cancelled', 'reminder', 'conflict')),
  ADD CONSTRAINT notifications_recipient_check
    CHECK (recipient IN ('patient', 'provider', 'admin')),
  ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped'));

-- The dead letter, listNotifications({status: 'failed'}), and the claims a crash left
-- (releaseNotificationClaims). Partial: a booking's rows never enter them.
CREATE INDEX notifications_failed ON notifications (created_at, id) WHERE status = 'failed';
CREATE INDEX notifications_sending ON notifications (owner) WHERE status = 'sending';
-- claimNotifications and nextNotificationDue: one owner's due rows, oldest first. Partial:
-- only the waiting rows, so the index stays as small as the backlog.
CREATE INDEX notifications_claim ON notifications (owner, next_attempt_at, id)
  WHERE status = 'pending';

-- Notification rows reach the clinic nodes by pull (their delivery state, and central's
-- rows of the nodes' appointments). A claim (status `sending`) is not logged: it is
-- central's bookkeeping of a few seconds, and the row's next state is.
CREATE TRIGGER notifications_log_insert AFTER INSERT ON notifications
  FOR EACH ROW EXECUTE FUNCTION clinic_log_row();
CREATE TRIGGER notifications_log_update AFTER UPDATE ON notifications
  FOR EACH ROW WHEN (NEW.status <> 'sending') EXECUTE FUNCTION clinic_log_row();
