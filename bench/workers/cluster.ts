/**
 * The deployments the workers benchmark compares, as real `kiln serve` processes: one process
 * (role all) on SQLite, or one `--role api` process and N `--role worker` processes on one
 * PostgreSQL database. All share one data directory (the admin token file) and the machine's Nix store.
 */
import { startServerProcess, type ServerProcess } from '../../test/helpers/server-process.js';

/** Queue settings a real deployment would use, shorter than the defaults (30 s / 5 s / 1 s / 60 s). */
export const QUEUE_SETTINGS = {
  KILN_POLL_MS: '250',
  KILN_HEARTBEAT_MS: '2000',
  KILN_LEASE_MS: '10000',
  KILN_WORKER_TIMEOUT_MS: '10000',
} as const;

export interface Cluster {
  /** The process that takes submissions. */
  readonly api: ServerProcess;
  stop(): Promise<void>;
}

export interface ClusterPlan {
  /** Empty: SQLite under the data directory, one process with role all. */
  databaseUrl: string;
  /** Worker processes beside the API process (PostgreSQL only). */
  workers: number;
  /** Build slots of each process that builds. */
  slots: number;
}

export async function startCluster(dataDir: string, plan: ClusterPlan): Promise<Cluster> {
  const processes: ServerProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const server of processes.reverse()) await server.stop();
  };
  const slots = ['--concurrency', String(plan.slots)];
  try {
    if (plan.databaseUrl === '') {
      processes.push(await startServerProcess(dataDir, slots, { ...QUEUE_SETTINGS, KILN_NODE_ID: 'all' }));
    } else {
      const database = ['--database', plan.databaseUrl];
      // The API process migrates the database; the workers start after it.
      processes.push(
        await startServerProcess(dataDir, [...database, '--role', 'api'], {
          ...QUEUE_SETTINGS,
          KILN_NODE_ID: 'api',
        }),
      );
      for (let n = 1; n <= plan.workers; n++) {
        processes.push(
          await startServerProcess(dataDir, [...database, '--role', 'worker', ...slots], {
            ...QUEUE_SETTINGS,
            KILN_NODE_ID: `worker-${n}`,
          }),
        );
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { api: processes[0]!, stop };
}
