-- Binary caches, their signing keys and the store paths they hold. Plain types as in 001, so it
-- ports to PostgreSQL (where `private` can become BOOLEAN). Times are epoch milliseconds.

CREATE TABLE caches (
  -- Compared exactly (BINARY collation here, the default in PostgreSQL too). Deleted caches keep
  -- their row, so a name is never reused.
  name TEXT PRIMARY KEY,
  private INTEGER NOT NULL CHECK (private IN (0, 1)),
  priority INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);

CREATE TABLE cache_keys (
  cache_name TEXT NOT NULL REFERENCES caches (name),
  -- Unique across caches: Nix's trusted-public-keys holds one key per name.
  key_name TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  secret_key_ciphertext TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  activated_at INTEGER NOT NULL,
  retires_at INTEGER,
  PRIMARY KEY (cache_name, key_name)
);

CREATE TABLE cache_objects (
  cache_name TEXT NOT NULL REFERENCES caches (name),
  -- The 32-character hash part of the store path: what narinfo requests are keyed by.
  store_path_hash TEXT NOT NULL,
  narinfo_key TEXT NOT NULL,
  nar_hash TEXT NOT NULL,
  nar_size INTEGER NOT NULL,
  file_key TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  -- JSON array of store path base names.
  refs TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_accessed_at INTEGER NOT NULL,
  PRIMARY KEY (cache_name, store_path_hash)
);

-- Garbage collection of the least recently used paths of a cache.
CREATE INDEX cache_objects_last_accessed ON cache_objects (cache_name, last_accessed_at);
