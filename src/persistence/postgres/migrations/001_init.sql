-- The PostgreSQL schema for everything but the binary caches (002): the data SQLite's migrations
-- 001-011 build up, in one step. Times are epoch milliseconds, sizes and sequence numbers BIGINT;
-- JSON columns are JSONB (queried with ->>, @> and jsonb_array_elements_text), except a template's
-- definition, which is kept as the exact text given.

CREATE TABLE builds (
  -- An identity is never reused after deletions: it is the FIFO tie-breaker and the paging cursor.
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  source JSONB NOT NULL,
  env JSONB NOT NULL,
  system TEXT,
  group_id TEXT,
  service_id TEXT,
  labels JSONB NOT NULL,
  priority INTEGER NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  max_silent_seconds INTEGER NOT NULL,
  drv_paths JSONB NOT NULL,
  outputs JSONB NOT NULL,
  artifact_size BIGINT,
  exit_code INTEGER,
  error TEXT,
  reason TEXT,
  progress JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  duration_ms BIGINT,
  cancel_requested_at BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  runner_pid INTEGER,
  runner_start_time TEXT,
  -- The warehouse: the cache outputs are pushed to, and what was substituted, built and pushed.
  push_cache TEXT,
  substituted JSONB NOT NULL DEFAULT '[]',
  built JSONB NOT NULL DEFAULT '[]',
  pushed JSONB NOT NULL DEFAULT '[]',
  -- Git builds: the commit, whether answered from an earlier build, the key such answers are found
  -- by, and the sealed credentials (cleared when the build ends).
  commit_info JSONB,
  cached BOOLEAN NOT NULL DEFAULT FALSE,
  cache_key TEXT,
  secrets TEXT,
  -- Images and deploys.
  image_ref TEXT,
  image JSONB,
  image_config JSONB,
  deploy_hook TEXT,
  deploy JSONB,
  -- A version sync's evidence.
  bump JSONB,
  -- Projects and concurrency groups.
  project_id TEXT,
  trigger_info JSONB,
  -- Lower-cased concurrency group key; null: the build is in no group.
  concurrency_key TEXT,
  -- The run's order in its group: the seq of the run's first build.
  run_seq BIGINT,
  -- Build ids (same group) that must succeed before this one may run.
  depends_on JSONB NOT NULL DEFAULT '[]',
  attr_path TEXT
);

-- Claiming: the next pending build by priority, then FIFO (partial: only pending rows matter).
CREATE INDEX builds_claim ON builds (priority DESC, seq) WHERE status = 'pending';
CREATE INDEX builds_status_seq ON builds (status, seq);
CREATE INDEX builds_service ON builds (service_id, status, seq);
CREATE INDEX builds_group ON builds (group_id, seq);
CREATE INDEX builds_finished_at ON builds (finished_at);
CREATE INDEX builds_cache_key ON builds (cache_key, seq) WHERE cache_key IS NOT NULL;
-- The claim's concurrency check looks up unfinished builds of the same group.
CREATE INDEX builds_concurrency ON builds (concurrency_key, status) WHERE concurrency_key IS NOT NULL;
CREATE INDEX builds_project ON builds (project_id, seq);
-- Statistics and the timeline scan by creation and finishing time.
CREATE INDEX builds_created_at ON builds (created_at);

CREATE TABLE build_steps (
  -- Insertion order, so that steps started in the same millisecond list in the order started.
  step_seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  status TEXT NOT NULL,
  detail TEXT,
  UNIQUE (build_id, name)
);

CREATE TABLE build_logs (
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  ts BIGINT NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL,
  -- UTF-8 length of text, so that the log cap can drop lines without reading their text.
  bytes BIGINT NOT NULL,
  PRIMARY KEY (build_id, seq)
);

-- Per-build log bookkeeping, so that appends check the cap without scanning build_logs; its row is
-- also what concurrent appends to one build lock (SELECT ... FOR UPDATE).
CREATE TABLE build_log_state (
  build_id TEXT PRIMARY KEY REFERENCES builds (id) ON DELETE CASCADE,
  next_seq BIGINT NOT NULL,
  stored_bytes BIGINT NOT NULL,
  head_end_seq BIGINT,
  dropped_lines BIGINT NOT NULL,
  dropped_bytes BIGINT NOT NULL
);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  perm TEXT NOT NULL,
  scope TEXT,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Templates added by users; seq orders versions by insertion.
CREATE TABLE templates (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  description TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (name, version)
);

-- Version syncs; the Git token and the webhook secret are sealed by the caller.
CREATE TABLE version_syncs (
  name TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  ref TEXT,
  file TEXT NOT NULL,
  entry TEXT,
  attr TEXT,
  verify TEXT,
  systems JSONB NOT NULL,
  branch TEXT,
  tag_pattern TEXT,
  token TEXT,
  webhook_secret TEXT,
  created_at BIGINT NOT NULL
);

-- Webhook delivery ids already acted on, so a replayed delivery queues nothing.
CREATE TABLE version_sync_deliveries (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sync_name TEXT NOT NULL REFERENCES version_syncs (name) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  UNIQUE (sync_name, delivery_id)
);

-- Projects: a Git repository kiln builds on push. Secrets are sealed by the caller.
CREATE TABLE projects (
  name TEXT PRIMARY KEY,
  repo_url TEXT NOT NULL,
  branches JSONB NOT NULL,
  tags JSONB NOT NULL,
  build JSONB NOT NULL,
  systems JSONB NOT NULL,
  push_cache TEXT,
  image_repo TEXT,
  deploy_hook TEXT,
  concurrency JSONB NOT NULL,
  notify JSONB NOT NULL,
  timeout_seconds INTEGER,
  secrets TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE project_deliveries (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_name TEXT NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  UNIQUE (project_name, delivery_id)
);
