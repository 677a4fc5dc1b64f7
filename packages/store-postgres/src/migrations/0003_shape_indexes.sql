-- 0003_shape_indexes: what the shape server (src/sync/shape-source.ts) needs to stay
-- index-driven as the data grows.

-- A node's change feed reads one table's entries after an offset, in seq order, and the
-- live long-poll asks for the last seq of one table: both range scans of (tbl, seq).
CREATE INDEX change_log_tbl_seq ON change_log (tbl, seq);

-- "Is this user the creator of an in-scope appointment?" (users referenced by a node's
-- appointments are in its scope): without it, a scan of every appointment per user.
CREATE INDEX appointments_created_by ON appointments (created_by) WHERE created_by IS NOT NULL;
