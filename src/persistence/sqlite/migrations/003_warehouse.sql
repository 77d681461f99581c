-- The warehouse model: NARs are stored once (by NarHash) and shared by caches; paths carry their
-- narinfo fields; references, pins and counters get their own tables. cache_objects from 002 is
-- replaced: nothing wrote to it before this migration (the cache routes arrive with it).

DROP INDEX cache_objects_last_accessed;
DROP TABLE cache_objects;

ALTER TABLE caches ADD COLUMN retention_days INTEGER;

CREATE TABLE nars (
  nar_hash TEXT PRIMARY KEY,
  nar_size INTEGER NOT NULL,
  file_key TEXT NOT NULL UNIQUE,
  compression TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- Every key a NAR was uploaded as, its nars.file_key included (nix names files by the hash of its
-- own compression), so that a HEAD on nix's file name finds the copy stored under another name.
CREATE TABLE nar_files (
  file_key TEXT PRIMARY KEY,
  nar_hash TEXT NOT NULL REFERENCES nars (nar_hash) ON DELETE CASCADE
);
CREATE INDEX nar_files_nar ON nar_files (nar_hash);

CREATE TABLE cache_objects (
  cache_name TEXT NOT NULL REFERENCES caches (name),
  store_path_hash TEXT NOT NULL,
  store_path TEXT NOT NULL,
  nar_hash TEXT NOT NULL REFERENCES nars (nar_hash),
  nar_size INTEGER NOT NULL,
  -- JSON array of base names, as in the narinfo (the order given is kept).
  refs TEXT NOT NULL,
  deriver TEXT,
  ca TEXT,
  -- JSON array of the uploader's signatures.
  sigs TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_accessed_at INTEGER NOT NULL,
  PRIMARY KEY (cache_name, store_path_hash)
);
-- "Does any path (of this cache) point to this NAR": NAR garbage collection and cacheHasNar.
CREATE INDEX cache_objects_nar ON cache_objects (nar_hash, cache_name);
CREATE INDEX cache_objects_last_accessed ON cache_objects (cache_name, last_accessed_at);

-- Reference edges by hash part, so "is this path referenced by a kept one" is an index lookup.
CREATE TABLE cache_refs (
  cache_name TEXT NOT NULL,
  referrer TEXT NOT NULL,
  reference TEXT NOT NULL,
  PRIMARY KEY (cache_name, referrer, reference),
  FOREIGN KEY (cache_name, referrer) REFERENCES cache_objects (cache_name, store_path_hash) ON DELETE CASCADE
);
CREATE INDEX cache_refs_reference ON cache_refs (cache_name, reference);

CREATE TABLE cache_pins (
  cache_name TEXT NOT NULL,
  store_path_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (cache_name, store_path_hash),
  FOREIGN KEY (cache_name, store_path_hash) REFERENCES cache_objects (cache_name, store_path_hash) ON DELETE CASCADE
);

CREATE TABLE cache_counters (
  cache_name TEXT PRIMARY KEY REFERENCES caches (name),
  narinfo_hits INTEGER NOT NULL DEFAULT 0,
  narinfo_misses INTEGER NOT NULL DEFAULT 0,
  nars_served INTEGER NOT NULL DEFAULT 0,
  nar_bytes_served INTEGER NOT NULL DEFAULT 0,
  uploads INTEGER NOT NULL DEFAULT 0,
  upload_bytes INTEGER NOT NULL DEFAULT 0
);
