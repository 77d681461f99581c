-- The worker registry: one row per process that runs builds, keyed by its lease owner id. A row
-- stays after its process dies (it just stops being seen) until a clean shutdown or pruning removes it.
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  role TEXT NOT NULL,
  systems TEXT NOT NULL,      -- JSON array
  features TEXT NOT NULL,     -- JSON array
  slots INTEGER NOT NULL,
  nix_store TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  load INTEGER NOT NULL DEFAULT 0,
  last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX workers_last_seen ON workers (last_seen_at);
