-- Initial schema. Kept to plain types (TEXT, INTEGER; JSON stored as TEXT) so it ports to
-- PostgreSQL: INTEGER PRIMARY KEY AUTOINCREMENT becomes BIGINT GENERATED ALWAYS AS IDENTITY.
-- Times are epoch milliseconds.

CREATE TABLE builds (
  -- AUTOINCREMENT (not just rowid) so that a seq is never reused after deletions: it is the
  -- FIFO tie-breaker and the paging cursor.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  env TEXT NOT NULL,
  system TEXT,
  group_id TEXT,
  service_id TEXT,
  labels TEXT NOT NULL,
  priority INTEGER NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  max_silent_seconds INTEGER NOT NULL,
  drv_paths TEXT NOT NULL,
  outputs TEXT NOT NULL,
  artifact_size INTEGER,
  exit_code INTEGER,
  error TEXT,
  reason TEXT,
  progress TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  duration_ms INTEGER,
  cancel_requested_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  runner_pid INTEGER,
  runner_start_time TEXT
);

-- Claiming: the next pending build by priority, then FIFO.
CREATE INDEX builds_claim ON builds (status, priority DESC, seq);
-- Listing newest first, optionally by status (the primary key serves the unfiltered listing).
CREATE INDEX builds_status_seq ON builds (status, seq);
-- Service and group lookups (listing, newest succeeded per service, stats).
CREATE INDEX builds_service ON builds (service_id, status, seq);
CREATE INDEX builds_group ON builds (group_id, seq);
-- Cleanup of old finished builds.
CREATE INDEX builds_finished_at ON builds (finished_at);

CREATE TABLE build_steps (
  -- Insertion order, so that steps started in the same millisecond list in the order started.
  step_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL,
  detail TEXT,
  UNIQUE (build_id, name)
);

CREATE TABLE build_logs (
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL,
  -- UTF-8 length of text, so that the log cap can drop lines without reading their text.
  bytes INTEGER NOT NULL,
  PRIMARY KEY (build_id, seq)
);

-- Per-build log bookkeeping, so that appends check the cap without scanning build_logs. Kept out
-- of builds so that frequent appends do not rewrite the (large) builds row.
CREATE TABLE build_log_state (
  build_id TEXT PRIMARY KEY REFERENCES builds (id) ON DELETE CASCADE,
  next_seq INTEGER NOT NULL,
  -- Sum of bytes of stored lines, the cap marker excluded.
  stored_bytes INTEGER NOT NULL,
  -- Last seq of the kept head once the cap has triggered (0 for an empty head); null before.
  head_end_seq INTEGER,
  dropped_lines INTEGER NOT NULL,
  dropped_bytes INTEGER NOT NULL
);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  perm TEXT NOT NULL,
  scope TEXT,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
