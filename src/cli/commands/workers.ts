import type { WorkerView } from '../../api/index.js';
import type { WorkersPlan } from '../args/index.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { renderWorkers } from '../render/workers.js';

/** `kiln workers`: the worker registry, alive workers only unless `--all`. */
export async function runWorkers(plan: WorkersPlan, io: CliIo): Promise<number> {
  const result = await connect(plan.client, io).call<{ workers: WorkerView[]; timeoutMs: number }>(
    'GET',
    '/api/v1/workers',
  );
  const workers = plan.all ? result.workers : result.workers.filter((worker) => worker.alive);
  if (plan.json) writeJson(io.stdout, { workers, timeoutMs: result.timeoutMs });
  else writeLine(io.stdout, renderWorkers(workers, Date.now()));
  return 0;
}
