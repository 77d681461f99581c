// Runs in a worker thread with its own SQLite connection, to exercise real contention between
// connections (locking, busy_timeout, IMMEDIATE transactions) that one thread cannot produce.
import { parentPort, workerData } from 'node:worker_threads';
import { isKilnError } from '../../../src/errors/index.js';
import { openSqliteStore } from '../../../src/persistence/index.js';
import type { Store } from '../../../src/persistence/index.js';

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
    }
  | { kind: 'create-caches'; path: string; worker: number; names: string[] };

export interface WorkerResult {
  claimedIds: string[];
  /** Caches this worker created; the others it tried were taken (any other failure throws). */
  createdCaches: string[];
}

async function createCaches(store: Store, worker: number, names: readonly string[]): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    const keyName = `${name}-w${worker}`;
    const key = {
      cacheName: name,
      keyName,
      publicKey: `${keyName}:AAAA`,
      secretKeyCiphertext: 'c',
      createdAt: 1,
      activatedAt: 1,
      retiresAt: null,
    };
    try {
      await store.caches.create(
        { name, private: false, priority: 40, retentionDays: null, createdAt: 1 },
        key,
      );
      created.push(name);
    } catch (error) {
      if (!isKilnError(error) || error.code !== 'KILN_ERR_CONFLICT') throw error;
    }
  }
  return created;
}

async function run(task: WorkerTask): Promise<WorkerResult> {
  const store = openSqliteStore(task.path);
  try {
    const claimedIds: string[] = [];
    if (task.kind === 'create-caches') {
      return { claimedIds, createdCaches: await createCaches(store, task.worker, task.names) };
    }
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
    return { claimedIds, createdCaches: [] };
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
