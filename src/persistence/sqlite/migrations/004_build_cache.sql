-- Builds and the warehouse: the cache a build pushes its outputs to (if any), and what the build
-- took from substituters, built itself and pushed, as JSON arrays of store paths (built: .drv).
ALTER TABLE builds ADD COLUMN push_cache TEXT;
ALTER TABLE builds ADD COLUMN substituted TEXT NOT NULL DEFAULT '[]';
ALTER TABLE builds ADD COLUMN built TEXT NOT NULL DEFAULT '[]';
ALTER TABLE builds ADD COLUMN pushed TEXT NOT NULL DEFAULT '[]';
