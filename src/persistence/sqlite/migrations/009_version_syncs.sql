-- Version syncs: a repository's .nix file bumped to each new release and pushed as a branch. The
-- Git token and the webhook secret are sealed by the caller (SecretBox); JSON: systems.
CREATE TABLE version_syncs (
  name TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  ref TEXT,
  file TEXT NOT NULL,
  entry TEXT,
  attr TEXT,
  verify TEXT,
  systems TEXT NOT NULL,
  branch TEXT,
  tag_pattern TEXT,
  token TEXT,
  webhook_secret TEXT,
  created_at INTEGER NOT NULL
);
-- Webhook delivery ids already acted on, so a replayed delivery queues nothing.
CREATE TABLE version_sync_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sync_name TEXT NOT NULL REFERENCES version_syncs (name) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (sync_name, delivery_id)
);
-- A bump build's evidence (JSON: oldVersion, newVersion, hashes, mismatches, staleHashes, outputs,
-- verify, branch, commit, diff).
ALTER TABLE builds ADD COLUMN bump TEXT;
