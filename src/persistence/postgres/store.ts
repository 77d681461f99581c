import type { NodeSignals, Store } from '../types.js';
import { readMigrations } from '../migration-files.js';
import { PgBuildRepo } from './build-repo.js';
import { PgCacheRepo } from './cache-repo.js';
import { createPgPool } from './db.js';
import type { PgPool } from './db.js';
import { PgLogRepo } from './log-repo.js';
import { applyPgMigrations } from './migrate.js';
import { PgProjectRepo } from './project-repo.js';
import { PgSettingsRepo } from './settings-repo.js';
import { PgSignals, type PgSignalsOptions } from './signals.js';
import { PgStepRepo } from './step-repo.js';
import { PgTemplateRepo } from './template-repo.js';
import { PgTokenRepo } from './token-repo.js';
import { PgVersionSyncRepo } from './version-sync-repo.js';
import { PgWorkerRepo } from './worker-repo.js';

/** Copied next to the compiled module by scripts/copy-assets.mjs. */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export interface PostgresStoreOptions {
  /** Most connections the store's pool opens (default 10). */
  maxConnections?: number;
  /** Reconnect backoff of the LISTEN connection (default 100 ms doubling up to 5 s). */
  signals?: PgSignalsOptions;
}

/** A Store on PostgreSQL; `applyMigrations()` applies pending migrations and says which it applied. */
export interface PostgresStore extends Store {
  /** PostgreSQL always has LISTEN/NOTIFY. */
  readonly signals: NodeSignals;
  applyMigrations(): Promise<string[]>;
}

/**
 * Opens a pooled PostgreSQL store at `url` (`postgres://user:password@host:port/database`). No
 * connection is made until the first query; call `migrate()` before first use.
 */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): PostgresStore {
  const pool = createPgPool(url, { max: options.maxConnections ?? 10 });
  return new PgStore(pool, new PgSignals(url, pool, options.signals));
}

class PgStore implements PostgresStore {
  readonly builds: PgBuildRepo;
  readonly steps: PgStepRepo;
  readonly logs: PgLogRepo;
  readonly tokens: PgTokenRepo;
  readonly settings: PgSettingsRepo;
  readonly caches: PgCacheRepo;
  readonly templates: PgTemplateRepo;
  readonly versionSyncs: PgVersionSyncRepo;
  readonly projects: PgProjectRepo;
  readonly workers: PgWorkerRepo;
  /** LISTEN/NOTIFY between the processes sharing this database. */
  readonly signals: PgSignals;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly pool: PgPool,
    signals: PgSignals,
  ) {
    this.signals = signals;
    this.builds = new PgBuildRepo(pool);
    this.steps = new PgStepRepo(pool);
    this.logs = new PgLogRepo(pool);
    this.tokens = new PgTokenRepo(pool);
    this.settings = new PgSettingsRepo(pool);
    this.caches = new PgCacheRepo(pool);
    this.templates = new PgTemplateRepo(pool);
    this.versionSyncs = new PgVersionSyncRepo(pool);
    this.projects = new PgProjectRepo(pool);
    this.workers = new PgWorkerRepo(pool);
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  async applyMigrations(): Promise<string[]> {
    return applyPgMigrations(this.pool, await readMigrations(MIGRATIONS_DIR), Date.now());
  }

  /** Ends the pool once; a second call waits for the first. */
  close(): Promise<void> {
    this.closed ??= this.signals.close().then(() => this.pool.end());
    return this.closed;
  }
}
