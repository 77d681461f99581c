import type {
  BuildEvents,
  BuildService,
  BuildTimeline,
  CleanupResult,
  Statistics,
  StatisticsQuery,
  VersionSyncService,
} from '../builds/index.js';
import type { Warehouse, WorkerCacheSettings } from '../cache/index.js';
import type {
  CacheCounterBucket,
  CounterHistoryQuery,
  TokenRecord,
  WorkerStatus,
} from '../persistence/index.js';
import type { ProjectService } from '../projects/index.js';
import type { TemplateService } from '../templates/index.js';

/** Everything the HTTP layer needs, constructed by src/main. */
export interface ApiDeps {
  builds: BuildService;
  events: BuildEvents;
  statistics(query: StatisticsQuery): Promise<Statistics>;
  cleanup(olderThanMs: number, dryRun: boolean): Promise<CleanupResult>;
  /** Builds over time (src/builds computeTimeline), for the statistics charts. */
  timeline(request: { rangeMs: number; buckets: number }): Promise<BuildTimeline>;
  /** A cache's counters per bucket, including what is still buffered in memory. */
  cacheHistory(cacheName: string, query: CounterHistoryQuery): Promise<CacheCounterBucket[]>;
  authenticate(secret: string): Promise<TokenRecord | undefined>;
  warehouse: Warehouse;
  templates: TemplateService;
  /** Version syncs and their webhooks; absent: those routes answer that the server runs none. */
  versionSyncs?: VersionSyncService | undefined;
  /** Projects and their push webhooks; absent: those routes answer that the server runs none. */
  projects?: ProjectService | undefined;
  /** Garbage-collects one cache (or reports what would go); the report is returned as JSON. */
  collectGarbage(
    cacheName: string,
    options: { dryRun: boolean; retentionDays?: number | undefined },
  ): Promise<unknown>;
  /** The worker registry; absent: no workers are listed. */
  workers?: { list(): Promise<WorkerStatus[]>; timeoutMs: number } | undefined;
  /** Per-worker cache settings in the central store; absent: those routes answer 503. */
  workerCache?: Pick<WorkerCacheSettings, 'get' | 'put' | 'delete'> | undefined;
  /** Extra fields of GET /healthz (a worker's id, role, running builds). */
  health?: (() => Record<string, unknown>) | undefined;
  bodyLimitBytes: number;
  /** How often a live log stream re-reads the store when no event arrives. */
  logPollMs: number;
  /** How often the live status stream re-reads the unfinished builds (default 5 s). */
  statusPollMs?: number | undefined;
  keepAliveMs?: number;
}
