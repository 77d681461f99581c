-- Templates added by users (built-ins ship with kiln and are not stored). One row per version;
-- seq orders versions by insertion, so "the newest" needs no version parsing in SQL.
CREATE TABLE templates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  description TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (name, version)
);
