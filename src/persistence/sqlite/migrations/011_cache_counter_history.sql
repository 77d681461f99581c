-- Cache counters per 5-minute bucket (bucket_start: epoch ms, a multiple of 300000), added in the
-- same transaction as cache_counters, so that hit rate and traffic can be charted over time. Five
-- minutes gives the shortest chart (24 hours) 288 points to aggregate from, at most 105,120 rows
-- per cache and year of non-stop traffic; an idle bucket has no row.
CREATE TABLE cache_counter_buckets (
  cache_name TEXT NOT NULL REFERENCES caches (name),
  bucket_start INTEGER NOT NULL,
  narinfo_hits INTEGER NOT NULL DEFAULT 0,
  narinfo_misses INTEGER NOT NULL DEFAULT 0,
  nars_served INTEGER NOT NULL DEFAULT 0,
  nar_bytes_served INTEGER NOT NULL DEFAULT 0,
  uploads INTEGER NOT NULL DEFAULT 0,
  upload_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (cache_name, bucket_start)
) WITHOUT ROWID;
