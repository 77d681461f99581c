import type { Database } from 'better-sqlite3';

/** Where a kind of webhook's delivery ids are kept: the table, its owner column and the owners' table. */
export interface DeliveryTable {
  table: 'version_sync_deliveries' | 'project_deliveries';
  ownerColumn: 'sync_name' | 'project_name';
  ownerTable: 'version_syncs' | 'projects';
}

/**
 * Records a webhook delivery id for an owner (a version sync, a project), keeping its newest
 * `keep`; false when the id was seen before (a replay) or the owner does not exist. One IMMEDIATE
 * transaction (the check, the insert and the pruning), so two deliveries of one id race safely.
 */
export function deliveryRecorder(
  db: Database,
  { table, ownerColumn, ownerTable }: DeliveryTable,
): (owner: string, deliveryId: string, now: number, keep: number) => boolean {
  const exists = db.prepare<[string], number>(`SELECT 1 FROM ${ownerTable} WHERE name = ?`).pluck();
  const insert = db.prepare<[string, string, number]>(
    `INSERT OR IGNORE INTO ${table} (${ownerColumn}, delivery_id, received_at) VALUES (?, ?, ?)`,
  );
  const prune = db.prepare<[string, string, number]>(`
    DELETE FROM ${table} WHERE ${ownerColumn} = ? AND seq NOT IN (
      SELECT seq FROM ${table} WHERE ${ownerColumn} = ? ORDER BY seq DESC LIMIT ?)`);
  const transaction = db.transaction((owner: string, deliveryId: string, now: number, keep: number) => {
    if (exists.get(owner) === undefined) return false;
    const added = insert.run(owner, deliveryId, now).changes === 1;
    if (added) prune.run(owner, owner, Math.max(1, keep));
    return added;
  });
  return (owner, deliveryId, now, keep) => transaction.immediate(owner, deliveryId, now, keep);
}
