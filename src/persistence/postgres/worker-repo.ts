import type { NewWorker, ServerRole, WorkerRepo, WorkerStatus } from '../worker-types.js';
import type { PgDb } from './db.js';

interface WorkerRow {
  id: string;
  node: string;
  host: string;
  pid: number;
  role: string;
  systems: string[];
  features: string[];
  slots: number;
  nix_store: string;
  version: string;
  started_at: number;
  load: number;
  last_seen_at: number;
}

function rowToWorker(row: WorkerRow, now: number, aliveWithinMs: number): WorkerStatus {
  return {
    id: row.id,
    node: row.node,
    host: row.host,
    pid: row.pid,
    role: row.role as ServerRole,
    systems: row.systems,
    features: row.features,
    slots: row.slots,
    nixStore: row.nix_store,
    version: row.version,
    startedAt: row.started_at,
    load: row.load,
    lastSeenAt: row.last_seen_at,
    alive: now - row.last_seen_at <= aliveWithinMs,
  };
}

/** The worker registry on PostgreSQL (migration 003_workers.sql). */
export class PgWorkerRepo implements WorkerRepo {
  constructor(private readonly db: PgDb) {}

  async register(worker: NewWorker, now: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO workers (id, node, host, pid, role, systems, features, slots, nix_store, version,
         started_at, load, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, 0, $12)
       ON CONFLICT (id) DO UPDATE SET node = excluded.node, host = excluded.host, pid = excluded.pid,
         role = excluded.role, systems = excluded.systems, features = excluded.features,
         slots = excluded.slots, nix_store = excluded.nix_store, version = excluded.version,
         started_at = excluded.started_at, load = 0, last_seen_at = excluded.last_seen_at`,
      [
        worker.id,
        worker.node,
        worker.host,
        worker.pid,
        worker.role,
        JSON.stringify(worker.systems),
        JSON.stringify(worker.features),
        worker.slots,
        worker.nixStore,
        worker.version,
        worker.startedAt,
        now,
      ],
    );
  }

  async heartbeat(id: string, load: number, now: number): Promise<boolean> {
    const changed = await this.db.execute('UPDATE workers SET load = $1, last_seen_at = $2 WHERE id = $3', [
      load,
      now,
      id,
    ]);
    return changed === 1;
  }

  async list(now: number, aliveWithinMs: number): Promise<WorkerStatus[]> {
    // COLLATE "C": the same byte order as SQLite's, whatever the database's locale.
    const rows = await this.db.query<WorkerRow>(
      'SELECT * FROM workers ORDER BY node COLLATE "C", started_at, id COLLATE "C"',
    );
    return rows.map((row) => rowToWorker(row, now, aliveWithinMs));
  }

  async get(id: string, now: number, aliveWithinMs: number): Promise<WorkerStatus | undefined> {
    const [row] = await this.db.query<WorkerRow>('SELECT * FROM workers WHERE id = $1', [id]);
    return row ? rowToWorker(row, now, aliveWithinMs) : undefined;
  }

  async deregister(id: string): Promise<boolean> {
    return (await this.db.execute('DELETE FROM workers WHERE id = $1', [id])) === 1;
  }

  prune(before: number): Promise<number> {
    return this.db.execute('DELETE FROM workers WHERE last_seen_at < $1', [before]);
  }
}
