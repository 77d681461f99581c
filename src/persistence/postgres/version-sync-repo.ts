import type { VersionSyncRecord, VersionSyncRepo } from '../types.js';
import type { PgDb } from './db.js';
import { recordDelivery } from './deliveries.js';

interface VersionSyncRow {
  name: string;
  repository: string;
  ref: string | null;
  file: string;
  entry: string | null;
  attr: string | null;
  verify: string | null;
  systems: string[];
  branch: string | null;
  tag_pattern: string | null;
  token: string | null;
  webhook_secret: string | null;
  created_at: number;
}

function rowToSync(row: VersionSyncRow): VersionSyncRecord {
  return {
    name: row.name,
    repository: row.repository,
    ref: row.ref,
    file: row.file,
    entry: row.entry,
    attr: row.attr,
    verify: row.verify,
    systems: row.systems,
    branch: row.branch,
    tagPattern: row.tag_pattern,
    token: row.token,
    webhookSecret: row.webhook_secret,
    createdAt: row.created_at,
  };
}

const COLUMNS =
  'name, repository, ref, file, entry, attr, verify, systems, branch, tag_pattern, token, webhook_secret, created_at';

export class PgVersionSyncRepo implements VersionSyncRepo {
  constructor(private readonly db: PgDb) {}

  async insert(sync: VersionSyncRecord): Promise<boolean> {
    // DO NOTHING: a duplicate name is an answer (false), not an exception.
    const changed = await this.db.execute(
      `INSERT INTO version_syncs (${COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (name) DO NOTHING`,
      [
        sync.name,
        sync.repository,
        sync.ref,
        sync.file,
        sync.entry,
        sync.attr,
        sync.verify,
        JSON.stringify(sync.systems),
        sync.branch,
        sync.tagPattern,
        sync.token,
        sync.webhookSecret,
        sync.createdAt,
      ],
    );
    return changed === 1;
  }

  async get(name: string): Promise<VersionSyncRecord | undefined> {
    const [row] = await this.db.query<VersionSyncRow>(
      `SELECT ${COLUMNS} FROM version_syncs WHERE name = $1`,
      [name],
    );
    return row ? rowToSync(row) : undefined;
  }

  async list(): Promise<VersionSyncRecord[]> {
    const rows = await this.db.query<VersionSyncRow>(
      `SELECT ${COLUMNS} FROM version_syncs ORDER BY name COLLATE "C"`,
    );
    return rows.map(rowToSync);
  }

  async remove(name: string): Promise<boolean> {
    // Its delivery ids go with it through ON DELETE CASCADE.
    return (await this.db.execute('DELETE FROM version_syncs WHERE name = $1', [name])) === 1;
  }

  recordDelivery(name: string, deliveryId: string, now: number, keep: number): Promise<boolean> {
    const table = {
      table: 'version_sync_deliveries',
      ownerColumn: 'sync_name',
      ownerTable: 'version_syncs',
    } as const;
    return recordDelivery(this.db, table, name, deliveryId, now, keep);
  }
}
