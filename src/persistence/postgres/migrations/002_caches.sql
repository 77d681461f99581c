-- Binary caches: caches and their signing keys, the NARs shared by all caches (nars, with every key
-- each was uploaded as in nar_files), the store paths each cache holds (cache_objects) with their
-- reference edges (cache_refs) and pins, and the counters (totals and 5-minute buckets). The same
-- model as SQLite's 002, 003 and 011. Times are epoch milliseconds, sizes bytes: BIGINT.
--
-- Names, hashes and keys are compared and ordered byte by byte (COLLATE "C"), whatever the
-- database's locale: `list()` orders names exactly (upper case first), and a locale must not make
-- two hashes or names equal or reorder them.

CREATE TABLE caches (
  -- Deleted caches keep their row, so a name is never reused.
  name TEXT COLLATE "C" PRIMARY KEY,
  private BOOLEAN NOT NULL,
  priority INTEGER NOT NULL,
  retention_days INTEGER,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);

CREATE TABLE cache_keys (
  cache_name TEXT COLLATE "C" NOT NULL REFERENCES caches (name),
  -- Unique across caches: Nix's trusted-public-keys holds one key per name.
  key_name TEXT COLLATE "C" NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  secret_key_ciphertext TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  activated_at BIGINT NOT NULL,
  retires_at BIGINT,
  PRIMARY KEY (cache_name, key_name)
);

CREATE TABLE nars (
  nar_hash TEXT COLLATE "C" PRIMARY KEY,
  nar_size BIGINT NOT NULL,
  file_key TEXT COLLATE "C" NOT NULL UNIQUE,
  compression TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  file_size BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
-- Unreferenced-NAR collection scans by age.
CREATE INDEX nars_created ON nars (created_at, nar_hash);

-- Every key a NAR was uploaded as, its nars.file_key included (nix names files by the hash of its
-- own compression), so that a HEAD on nix's file name finds the copy stored under another name.
CREATE TABLE nar_files (
  file_key TEXT COLLATE "C" PRIMARY KEY,
  nar_hash TEXT COLLATE "C" NOT NULL REFERENCES nars (nar_hash) ON DELETE CASCADE
);
CREATE INDEX nar_files_nar ON nar_files (nar_hash);

CREATE TABLE cache_objects (
  cache_name TEXT COLLATE "C" NOT NULL REFERENCES caches (name),
  store_path_hash TEXT COLLATE "C" NOT NULL,
  store_path TEXT NOT NULL,
  -- No cascade: a NAR some path points to can never be deleted (the foreign key is the last line
  -- of defence should NAR collection race an upload).
  nar_hash TEXT COLLATE "C" NOT NULL REFERENCES nars (nar_hash),
  nar_size BIGINT NOT NULL,
  -- Base names, as in the narinfo (the order given is kept).
  refs TEXT[] NOT NULL,
  deriver TEXT,
  ca TEXT,
  -- The uploader's signatures.
  sigs TEXT[] NOT NULL,
  created_at BIGINT NOT NULL,
  last_accessed_at BIGINT NOT NULL,
  PRIMARY KEY (cache_name, store_path_hash)
);
-- "Does any path (of this cache) point to this NAR": NAR garbage collection and cacheHasNar.
CREATE INDEX cache_objects_nar ON cache_objects (nar_hash, cache_name);
CREATE INDEX cache_objects_last_accessed ON cache_objects (cache_name, last_accessed_at);

-- Reference edges by hash part, so "is this path referenced by a kept one" is an index lookup.
CREATE TABLE cache_refs (
  cache_name TEXT COLLATE "C" NOT NULL,
  referrer TEXT COLLATE "C" NOT NULL,
  reference TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (cache_name, referrer, reference),
  FOREIGN KEY (cache_name, referrer) REFERENCES cache_objects (cache_name, store_path_hash) ON DELETE CASCADE
);
CREATE INDEX cache_refs_reference ON cache_refs (cache_name, reference);

CREATE TABLE cache_pins (
  cache_name TEXT COLLATE "C" NOT NULL,
  store_path_hash TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (cache_name, store_path_hash),
  FOREIGN KEY (cache_name, store_path_hash) REFERENCES cache_objects (cache_name, store_path_hash) ON DELETE CASCADE
);

CREATE TABLE cache_counters (
  cache_name TEXT COLLATE "C" PRIMARY KEY REFERENCES caches (name),
  narinfo_hits BIGINT NOT NULL DEFAULT 0,
  narinfo_misses BIGINT NOT NULL DEFAULT 0,
  nars_served BIGINT NOT NULL DEFAULT 0,
  nar_bytes_served BIGINT NOT NULL DEFAULT 0,
  uploads BIGINT NOT NULL DEFAULT 0,
  upload_bytes BIGINT NOT NULL DEFAULT 0
);

-- Counters per 5-minute bucket (bucket_start: a multiple of 300000), added in the same statement
-- as cache_counters; an idle bucket has no row.
CREATE TABLE cache_counter_buckets (
  cache_name TEXT COLLATE "C" NOT NULL REFERENCES caches (name),
  bucket_start BIGINT NOT NULL,
  narinfo_hits BIGINT NOT NULL DEFAULT 0,
  narinfo_misses BIGINT NOT NULL DEFAULT 0,
  nars_served BIGINT NOT NULL DEFAULT 0,
  nar_bytes_served BIGINT NOT NULL DEFAULT 0,
  uploads BIGINT NOT NULL DEFAULT 0,
  upload_bytes BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (cache_name, bucket_start)
);
