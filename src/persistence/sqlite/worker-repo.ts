import type { Database } from 'better-sqlite3';
import type { NewWorker, ServerRole, WorkerRepo, WorkerStatus } from '../worker-types.js';
import { settle } from './settle.js';

interface WorkerRow {
  id: string;
  node: string;
  host: string;
  pid: number;
  role: string;
  systems: string;
  features: string;
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
    systems: JSON.parse(row.systems) as string[],
    features: JSON.parse(row.features) as string[],
    slots: row.slots,
    nixStore: row.nix_store,
    version: row.version,
    startedAt: row.started_at,
    load: row.load,
    lastSeenAt: row.last_seen_at,
    alive: now - row.last_seen_at <= aliveWithinMs,
  };
}

export class SqliteWorkerRepo implements WorkerRepo {
  private readonly registerStatement;
  private readonly heartbeatStatement;
  private readonly listStatement;
  private readonly getStatement;
  private readonly deregisterStatement;
  private readonly pruneStatement;

  constructor(db: Database) {
    this.registerStatement = db.prepare<[Record<string, unknown>]>(`
      INSERT INTO workers (id, node, host, pid, role, systems, features, slots, nix_store, version,
        started_at, load, last_seen_at)
      VALUES (@id, @node, @host, @pid, @role, @systems, @features, @slots, @nixStore, @version,
        @startedAt, 0, @now)
      ON CONFLICT (id) DO UPDATE SET node = excluded.node, host = excluded.host, pid = excluded.pid,
        role = excluded.role, systems = excluded.systems, features = excluded.features,
        slots = excluded.slots, nix_store = excluded.nix_store, version = excluded.version,
        started_at = excluded.started_at, load = 0, last_seen_at = excluded.last_seen_at`);
    this.heartbeatStatement = db.prepare<[number, number, string]>(
      'UPDATE workers SET load = ?, last_seen_at = ? WHERE id = ?',
    );
    this.listStatement = db.prepare<[], WorkerRow>('SELECT * FROM workers ORDER BY node, started_at, id');
    this.getStatement = db.prepare<[string], WorkerRow>('SELECT * FROM workers WHERE id = ?');
    this.deregisterStatement = db.prepare<[string]>('DELETE FROM workers WHERE id = ?');
    this.pruneStatement = db.prepare<[number]>('DELETE FROM workers WHERE last_seen_at < ?');
  }

  register(worker: NewWorker, now: number): Promise<void> {
    return settle(() => {
      this.registerStatement.run({
        ...worker,
        systems: JSON.stringify(worker.systems),
        features: JSON.stringify(worker.features),
        now,
      });
    });
  }

  heartbeat(id: string, load: number, now: number): Promise<boolean> {
    return settle(() => this.heartbeatStatement.run(load, now, id).changes === 1);
  }

  list(now: number, aliveWithinMs: number): Promise<WorkerStatus[]> {
    return settle(() => this.listStatement.all().map((row) => rowToWorker(row, now, aliveWithinMs)));
  }

  get(id: string, now: number, aliveWithinMs: number): Promise<WorkerStatus | undefined> {
    return settle(() => {
      const row = this.getStatement.get(id);
      return row ? rowToWorker(row, now, aliveWithinMs) : undefined;
    });
  }

  deregister(id: string): Promise<boolean> {
    return settle(() => this.deregisterStatement.run(id).changes === 1);
  }

  prune(before: number): Promise<number> {
    return settle(() => this.pruneStatement.run(before).changes);
  }
}
