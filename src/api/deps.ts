import type {
  BuildEvents,
  BuildService,
  CleanupResult,
  Statistics,
  StatisticsQuery,
  VersionSyncService,
} from '../builds/index.js';
import type { Warehouse } from '../cache/index.js';
import type { TokenRecord } from '../persistence/index.js';
import type { TemplateService } from '../templates/index.js';

/** Everything the HTTP layer needs, constructed by src/main. */
export interface ApiDeps {
  builds: BuildService;
  events: BuildEvents;
  statistics(query: StatisticsQuery): Promise<Statistics>;
  cleanup(olderThanMs: number, dryRun: boolean): Promise<CleanupResult>;
  authenticate(secret: string): Promise<TokenRecord | undefined>;
  warehouse: Warehouse;
  templates: TemplateService;
  /** Version syncs and their webhooks; absent: those routes answer that the server runs none. */
  versionSyncs?: VersionSyncService | undefined;
  /** Garbage-collects one cache (or reports what would go); the report is returned as JSON. */
  collectGarbage(
    cacheName: string,
    options: { dryRun: boolean; retentionDays?: number | undefined },
  ): Promise<unknown>;
  bodyLimitBytes: number;
  /** How often a live log stream re-reads the store when no event arrives. */
  logPollMs: number;
  keepAliveMs?: number;
}
