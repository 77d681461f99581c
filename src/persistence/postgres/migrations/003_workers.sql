-- The worker registry: one row per process that runs builds, keyed by its lease owner id. A row
-- stays after its process dies (it just stops being seen) until a clean shutdown or pruning removes it.
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  role TEXT NOT NULL,
  systems JSONB NOT NULL,
  features JSONB NOT NULL,
  slots INTEGER NOT NULL,
  nix_store TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  load INTEGER NOT NULL DEFAULT 0,
  last_seen_at BIGINT NOT NULL
);

CREATE INDEX workers_last_seen ON workers (last_seen_at);
