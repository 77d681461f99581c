import type { Database } from 'better-sqlite3';
import type { VersionSyncRecord, VersionSyncRepo } from '../types.js';
import { deliveryRecorder } from './deliveries.js';
import { settle } from './settle.js';

interface VersionSyncRow {
  name: string;
  repository: string;
  ref: string | null;
  file: string;
  entry: string | null;
  attr: string | null;
  verify: string | null;
  systems: string;
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
    systems: JSON.parse(row.systems) as string[],
    branch: row.branch,
    tagPattern: row.tag_pattern,
    token: row.token,
    webhookSecret: row.webhook_secret,
    createdAt: row.created_at,
  };
}

const COLUMNS =
  'name, repository, ref, file, entry, attr, verify, systems, branch, tag_pattern, token, webhook_secret, created_at';

export class SqliteVersionSyncRepo implements VersionSyncRepo {
  private readonly insertStatement;
  private readonly getStatement;
  private readonly listStatement;
  private readonly removeStatement;
  private readonly recordDeliveryNow;

  constructor(db: Database) {
    // OR IGNORE: a duplicate name is an answer (false), not an exception.
    this.insertStatement = db.prepare<[Record<string, string | number | null>]>(`
      INSERT OR IGNORE INTO version_syncs (${COLUMNS})
      VALUES (@name, @repository, @ref, @file, @entry, @attr, @verify, @systems, @branch, @tag_pattern,
        @token, @webhook_secret, @created_at)`);
    this.getStatement = db.prepare<[string], VersionSyncRow>(
      `SELECT ${COLUMNS} FROM version_syncs WHERE name = ?`,
    );
    this.listStatement = db.prepare<[], VersionSyncRow>(`SELECT ${COLUMNS} FROM version_syncs ORDER BY name`);
    this.removeStatement = db.prepare<[string]>('DELETE FROM version_syncs WHERE name = ?');
    this.recordDeliveryNow = deliveryRecorder(db, {
      table: 'version_sync_deliveries',
      ownerColumn: 'sync_name',
      ownerTable: 'version_syncs',
    });
  }

  insert(sync: VersionSyncRecord): Promise<boolean> {
    return settle(
      () =>
        this.insertStatement.run({
          name: sync.name,
          repository: sync.repository,
          ref: sync.ref,
          file: sync.file,
          entry: sync.entry,
          attr: sync.attr,
          verify: sync.verify,
          systems: JSON.stringify(sync.systems),
          branch: sync.branch,
          tag_pattern: sync.tagPattern,
          token: sync.token,
          webhook_secret: sync.webhookSecret,
          created_at: sync.createdAt,
        }).changes === 1,
    );
  }

  get(name: string): Promise<VersionSyncRecord | undefined> {
    return settle(() => {
      const row = this.getStatement.get(name);
      return row ? rowToSync(row) : undefined;
    });
  }

  list(): Promise<VersionSyncRecord[]> {
    return settle(() => this.listStatement.all().map(rowToSync));
  }

  remove(name: string): Promise<boolean> {
    return settle(() => this.removeStatement.run(name).changes === 1);
  }

  recordDelivery(name: string, deliveryId: string, now: number, keep: number): Promise<boolean> {
    return settle(() => this.recordDeliveryNow(name, deliveryId, now, keep));
  }
}
