import type { WorkerView } from '../../api/index.js';
import { renderTable } from './table.js';

/** Seconds (or minutes) since an ISO time, for "last seen". */
function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

/** `kiln workers`: one row per worker with its load over its slots. */
export function renderWorkers(workers: readonly WorkerView[], now: number): string {
  if (workers.length === 0) return 'no workers';
  return renderTable(
    ['WORKER', 'NODE', 'STATE', 'BUSY', 'SYSTEMS', 'STORE', 'VERSION', 'LAST SEEN'],
    workers.map((worker) => [
      worker.id,
      worker.node,
      worker.alive ? 'alive' : 'dead',
      `${worker.load}/${worker.slots}`,
      worker.systems.join(','),
      worker.nixStore,
      worker.version,
      ago(worker.lastSeenAt, now),
    ]),
  );
}
