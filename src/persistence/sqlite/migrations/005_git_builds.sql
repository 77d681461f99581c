-- Builds from Git: the commit a build used (JSON: sha, branch, author, authorEmail, date, subject),
-- whether its result was answered from an earlier build (cached), the key such answers are found
-- by (repository, commit, attribute, system, options), and the build's sealed credentials, which
-- are cleared when the build ends.
ALTER TABLE builds ADD COLUMN commit_info TEXT;
ALTER TABLE builds ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE builds ADD COLUMN cache_key TEXT;
ALTER TABLE builds ADD COLUMN secrets TEXT;
CREATE INDEX builds_cache_key ON builds (cache_key, seq) WHERE cache_key IS NOT NULL;
