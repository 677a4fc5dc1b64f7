-- 0005_login_throttle: login throttling counters (issue 11), in the database so that
-- several central processes on one PostgreSQL server share them. One row per counter
-- (a SHA-256 digest of "username", "username + address" or "address": no name or address
-- in clear); epoch milliseconds, as the throttling rules compute them.

CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL CHECK (failures >= 0),
  last_at bigint NOT NULL,
  next_at bigint NOT NULL
);

CREATE INDEX login_throttle_last_at ON login_throttle (last_at);
