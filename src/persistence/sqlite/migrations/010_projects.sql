-- Projects: a Git repository kiln builds on push. JSON: branches, tags, build, systems,
-- concurrency, notify. Credentials and webhook/notification secrets are sealed by the caller.
CREATE TABLE projects (
  name TEXT PRIMARY KEY,
  repo_url TEXT NOT NULL,
  branches TEXT NOT NULL,
  tags TEXT NOT NULL,
  build TEXT NOT NULL,
  systems TEXT NOT NULL,
  push_cache TEXT,
  image_repo TEXT,
  deploy_hook TEXT,
  concurrency TEXT NOT NULL,
  notify TEXT NOT NULL,
  timeout_seconds INTEGER,
  secrets TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- Webhook delivery ids already acted on, so a replayed delivery queues nothing.
CREATE TABLE project_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  project_name TEXT NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (project_name, delivery_id)
);

ALTER TABLE builds ADD COLUMN project_id TEXT;
-- JSON: { kind, actor, forge?, deliveryId? }.
ALTER TABLE builds ADD COLUMN trigger_info TEXT;
-- Lower-cased concurrency group key; null: the build is in no group.
ALTER TABLE builds ADD COLUMN concurrency_key TEXT;
-- The run's order in its group: the seq of the run's first build.
ALTER TABLE builds ADD COLUMN run_seq INTEGER;
-- JSON array of build ids (same group) that must succeed before this one may run.
ALTER TABLE builds ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]';
ALTER TABLE builds ADD COLUMN attr_path TEXT;

-- The claim's concurrency check looks up unfinished builds of the same group.
CREATE INDEX builds_concurrency ON builds (concurrency_key, status);
CREATE INDEX builds_project ON builds (project_id, seq);
