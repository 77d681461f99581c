import type { Database } from 'better-sqlite3';
import type { BuildStep, StepRepo } from '../types.js';
import { settle } from './settle.js';

interface StepRow {
  build_id: string;
  name: string;
  started_at: number;
  finished_at: number | null;
  status: string;
  detail: string | null;
}

export class SqliteStepRepo implements StepRepo {
  private readonly startStatement;
  private readonly finishStatement;
  private readonly listStatement;

  constructor(db: Database) {
    // Starting a step again (a retried build) resets it rather than failing on the unique name.
    this.startStatement = db.prepare<[string, string, number]>(`
      INSERT INTO build_steps (build_id, name, started_at, finished_at, status, detail)
      VALUES (?, ?, ?, NULL, 'running', NULL)
      ON CONFLICT (build_id, name) DO UPDATE SET
        started_at = excluded.started_at, finished_at = NULL, status = 'running', detail = NULL`);
    // Finishing a step that never started (e.g. recording a skipped one) records it as starting and
    // finishing at the same time.
    this.finishStatement = db.prepare<[string, string, number, number, string, string | null]>(`
      INSERT INTO build_steps (build_id, name, started_at, finished_at, status, detail)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (build_id, name) DO UPDATE SET
        finished_at = excluded.finished_at, status = excluded.status, detail = excluded.detail`);
    this.listStatement = db.prepare<[string], StepRow>(
      'SELECT * FROM build_steps WHERE build_id = ? ORDER BY started_at, step_seq',
    );
  }

  start(buildId: string, name: string, now: number): Promise<void> {
    return settle(() => {
      this.startStatement.run(buildId, name, now);
    });
  }

  finish(
    buildId: string,
    name: string,
    status: BuildStep['status'],
    now: number,
    detail?: string,
  ): Promise<void> {
    return settle(() => {
      this.finishStatement.run(buildId, name, now, now, status, detail ?? null);
    });
  }

  list(buildId: string): Promise<BuildStep[]> {
    return settle(() =>
      this.listStatement.all(buildId).map((row) => ({
        buildId: row.build_id,
        name: row.name,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
        // Only this module writes the column, always from a BuildStep status.
        status: row.status as BuildStep['status'],
        detail: row.detail,
      })),
    );
  }
}
