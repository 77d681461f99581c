// Runs in a worker thread with its own SQLite connection, to exercise real contention between
// connections (locking, busy_timeout, IMMEDIATE transactions) that one thread cannot produce.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../../../src/persistence/index.js';

export type WorkerTask =
  | { kind: 'claim'; path: string; owner: string }
  | {
      kind: 'append';
      path: string;
      buildId: string;
      worker: number;
      batches: number;
      batchSize: number;
      cap: number;
    };

export interface WorkerResult {
  claimedIds: string[];
}

async function run(task: WorkerTask): Promise<WorkerResult> {
  const store = openSqliteStore(task.path);
  try {
    const claimedIds: string[] = [];
    if (task.kind === 'claim') {
      for (;;) {
        const build = await store.builds.claimNext(task.owner, 60_000, Date.now());
        if (!build) break;
        claimedIds.push(build.id);
      }
    } else {
      for (let batch = 0; batch < task.batches; batch++) {
        const lines = Array.from({ length: task.batchSize }, (_, i) => ({
          ts: Date.now(),
          stream: 'stdout' as const,
          text: `worker ${task.worker} batch ${batch} line ${i} ${'é'.repeat(i)}`,
        }));
        await store.logs.append(task.buildId, lines, task.cap);
      }
    }
    return { claimedIds };
  } finally {
    await store.close();
  }
}

// Only when started as a worker: the test file imports this module for its types alone.
if (parentPort) {
  const port = parentPort;
  run(workerData as WorkerTask).then(
    (result) => port.postMessage(result),
    (error: unknown) => {
      // Rethrown as an uncaught error, which the Worker's 'error' event hands to the test.
      throw error;
    },
  );
}
