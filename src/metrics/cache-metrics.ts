import type { MetricFamily } from './prometheus.js';

/** One cache's counters and usage, as the warehouse reports them. */
export interface CacheMetricsInput {
  name: string;
  counters: {
    narinfoHits: number;
    narinfoMisses: number;
    narsServed: number;
    narBytesServed: number;
    uploads: number;
    uploadBytes: number;
  };
  usage: { objects: number; narBytes: number; fileBytes: number; pins: number };
}

type Pick = (cache: CacheMetricsInput) => number;

const FAMILIES: readonly [string, string, 'counter' | 'gauge', Pick][] = [
  [
    'kiln_cache_narinfo_hits_total',
    'narinfo requests answered with a path.',
    'counter',
    (c) => c.counters.narinfoHits,
  ],
  [
    'kiln_cache_narinfo_misses_total',
    'narinfo requests for paths the cache does not hold.',
    'counter',
    (c) => c.counters.narinfoMisses,
  ],
  [
    'kiln_cache_nars_served_total',
    'NAR downloads (ranges included).',
    'counter',
    (c) => c.counters.narsServed,
  ],
  ['kiln_cache_served_bytes_total', 'NAR bytes sent.', 'counter', (c) => c.counters.narBytesServed],
  ['kiln_cache_uploads_total', 'NAR files uploaded.', 'counter', (c) => c.counters.uploads],
  ['kiln_cache_uploaded_bytes_total', 'NAR file bytes uploaded.', 'counter', (c) => c.counters.uploadBytes],
  ['kiln_cache_objects', 'Store paths held.', 'gauge', (c) => c.usage.objects],
  [
    'kiln_cache_stored_bytes',
    'Stored (compressed) bytes of the NARs the paths point to.',
    'gauge',
    (c) => c.usage.fileBytes,
  ],
  ['kiln_cache_nar_bytes', 'Uncompressed NAR bytes of the paths held.', 'gauge', (c) => c.usage.narBytes],
  ['kiln_cache_pins', 'Pinned paths.', 'gauge', (c) => c.usage.pins],
];

/** Per-cache metric families, labelled by cache name. */
export function cacheMetricFamilies(caches: readonly CacheMetricsInput[]): MetricFamily[] {
  return FAMILIES.map(([name, help, type, pick]) => ({
    name,
    help,
    type,
    samples: caches.map((cache) => ({ labels: { cache: cache.name }, value: pick(cache) })),
  }));
}
