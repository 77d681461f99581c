import type { BuildStep, StepRepo } from '../types.js';
import type { PgDb } from './db.js';

interface StepRow {
  build_id: string;
  name: string;
  started_at: number;
  finished_at: number | null;
  status: string;
  detail: string | null;
}

export class PgStepRepo implements StepRepo {
  constructor(private readonly db: PgDb) {}

  async start(buildId: string, name: string, now: number): Promise<void> {
    // Starting a step again (a retried build) resets it rather than failing on the unique name.
    await this.db.execute(
      `INSERT INTO build_steps (build_id, name, started_at, finished_at, status, detail)
       VALUES ($1, $2, $3, NULL, 'running', NULL)
       ON CONFLICT (build_id, name) DO UPDATE SET
         started_at = excluded.started_at, finished_at = NULL, status = 'running', detail = NULL`,
      [buildId, name, now],
    );
  }

  async finish(
    buildId: string,
    name: string,
    status: BuildStep['status'],
    now: number,
    detail?: string,
  ): Promise<void> {
    // Finishing a step that never started (a skipped one) records it starting and finishing at once.
    await this.db.execute(
      `INSERT INTO build_steps (build_id, name, started_at, finished_at, status, detail)
       VALUES ($1, $2, $3, $3, $4, $5)
       ON CONFLICT (build_id, name) DO UPDATE SET
         finished_at = excluded.finished_at, status = excluded.status, detail = excluded.detail`,
      [buildId, name, now, status, detail ?? null],
    );
  }

  async list(buildId: string): Promise<BuildStep[]> {
    const rows = await this.db.query<StepRow>(
      'SELECT * FROM build_steps WHERE build_id = $1 ORDER BY started_at, step_seq',
      [buildId],
    );
    return rows.map((row) => ({
      buildId: row.build_id,
      name: row.name,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      // Only this backend writes the column, always from a BuildStep status.
      status: row.status as BuildStep['status'],
      detail: row.detail,
    }));
  }
}
