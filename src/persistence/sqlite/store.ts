import Database from 'better-sqlite3';
import type { Store } from '../types.js';
import { SqliteBuildRepo } from './build-repo.js';
import { SqliteCacheRepo } from './cache-repo.js';
import { SqliteLogRepo } from './log-repo.js';
import { applyMigrations, readMigrations } from './migrate.js';
import { SqliteSettingsRepo } from './settings-repo.js';
import { settle } from './settle.js';
import { SqliteStepRepo } from './step-repo.js';
import { SqliteTemplateRepo } from './template-repo.js';
import { SqliteTokenRepo } from './token-repo.js';
import { SqliteVersionSyncRepo } from './version-sync-repo.js';
import { SqliteProjectRepo } from './project-repo.js';
import { SqliteWorkerRepo } from './worker-repo.js';

/** Copied next to the compiled module by scripts/copy-assets.mjs. */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/**
 * Opens (creating if needed) the SQLite database at `path`. Call `migrate()` before first use: the
 * repositories prepare their statements lazily on first access, once the schema exists.
 */
export function openSqliteStore(path: string): Store {
  const db = new Database(path);
  // WAL lets readers proceed while one writer commits; NORMAL sync is durable against process
  // crashes (the WAL is fsynced at checkpoints), which is what the service needs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Other processes (CLI, a second server during a restart) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  // Needed per connection for ON DELETE CASCADE of steps and logs.
  db.pragma('foreign_keys = ON');
  return new SqliteStore(db);
}

class SqliteStore implements Store {
  private repos: Repos | undefined;

  constructor(private readonly db: Database.Database) {}

  get builds(): SqliteBuildRepo {
    return this.prepared().builds;
  }
  get steps(): SqliteStepRepo {
    return this.prepared().steps;
  }
  get logs(): SqliteLogRepo {
    return this.prepared().logs;
  }
  get tokens(): SqliteTokenRepo {
    return this.prepared().tokens;
  }
  get settings(): SqliteSettingsRepo {
    return this.prepared().settings;
  }
  get caches(): SqliteCacheRepo {
    return this.prepared().caches;
  }
  get templates(): SqliteTemplateRepo {
    return this.prepared().templates;
  }
  get versionSyncs(): SqliteVersionSyncRepo {
    return this.prepared().versionSyncs;
  }
  get projects(): SqliteProjectRepo {
    return this.prepared().projects;
  }
  get workers(): SqliteWorkerRepo {
    return this.prepared().workers;
  }

  async migrate(): Promise<void> {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    applyMigrations(this.db, migrations, Date.now());
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.db.open) this.db.close();
    });
  }

  /** Statements can only be prepared once their tables exist, hence after migrate(). */
  private prepared(): Repos {
    this.repos ??= {
      builds: new SqliteBuildRepo(this.db),
      steps: new SqliteStepRepo(this.db),
      logs: new SqliteLogRepo(this.db),
      tokens: new SqliteTokenRepo(this.db),
      settings: new SqliteSettingsRepo(this.db),
      caches: new SqliteCacheRepo(this.db),
      templates: new SqliteTemplateRepo(this.db),
      versionSyncs: new SqliteVersionSyncRepo(this.db),
      projects: new SqliteProjectRepo(this.db),
      workers: new SqliteWorkerRepo(this.db),
    };
    return this.repos;
  }
}

interface Repos {
  builds: SqliteBuildRepo;
  steps: SqliteStepRepo;
  logs: SqliteLogRepo;
  tokens: SqliteTokenRepo;
  settings: SqliteSettingsRepo;
  caches: SqliteCacheRepo;
  templates: SqliteTemplateRepo;
  versionSyncs: SqliteVersionSyncRepo;
  projects: SqliteProjectRepo;
  workers: SqliteWorkerRepo;
}
