import type { PgDb } from './db.js';

/** Where a kind of webhook's delivery ids are kept: the table, its owner column and the owners' table. */
export interface PgDeliveryTable {
  table: 'version_sync_deliveries' | 'project_deliveries';
  ownerColumn: 'sync_name' | 'project_name';
  ownerTable: 'version_syncs' | 'projects';
}

/**
 * Records a webhook delivery id for an owner (a version sync, a project), keeping its newest
 * `keep`; false when the id was seen before (a replay) or the owner does not exist. One
 * transaction holding the owner's row (FOR SHARE): two deliveries of one id race on the unique
 * key, and the owner cannot be deleted half way.
 */
export function recordDelivery(
  db: PgDb,
  { table, ownerColumn, ownerTable }: PgDeliveryTable,
  owner: string,
  deliveryId: string,
  now: number,
  keep: number,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const exists = await tx.query(`SELECT 1 FROM ${ownerTable} WHERE name = $1 FOR SHARE`, [owner]);
    if (exists.length === 0) return false;
    const added =
      (await tx.execute(
        `INSERT INTO ${table} (${ownerColumn}, delivery_id, received_at) VALUES ($1, $2, $3)
         ON CONFLICT (${ownerColumn}, delivery_id) DO NOTHING`,
        [owner, deliveryId, now],
      )) === 1;
    if (added) {
      await tx.execute(
        `DELETE FROM ${table} WHERE ${ownerColumn} = $1 AND seq NOT IN (
           SELECT seq FROM ${table} WHERE ${ownerColumn} = $1 ORDER BY seq DESC LIMIT $2)`,
        [owner, Math.max(1, keep)],
      );
    }
    return added;
  });
}
