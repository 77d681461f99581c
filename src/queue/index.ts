export {
  createWorkerPool,
  SHUTDOWN_REASON,
  LEASE_LOST_REASON,
  type WorkerPool,
  type WorkerPoolOptions,
  type Job,
} from './worker-pool.js';
export { Batcher } from './batcher.js';
