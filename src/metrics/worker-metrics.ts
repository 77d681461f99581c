import type { MetricFamily } from './prometheus.js';

/** What the worker metrics are made of: the worker registry (src/persistence WorkerStatus). */
export interface WorkerMetricsInput {
  id: string;
  node: string;
  slots: number;
  load: number;
  alive: boolean;
}

/** Per-worker gauges from the registry; only alive workers report slots and load. */
export function workerMetricFamilies(workers: readonly WorkerMetricsInput[]): MetricFamily[] {
  const alive = workers.filter((worker) => worker.alive);
  return [
    {
      name: 'kiln_workers_alive',
      help: 'Registered build workers whose last heartbeat is within the worker timeout.',
      type: 'gauge',
      samples: [{ value: alive.length }],
    },
    {
      name: 'kiln_worker_node_slots',
      help: 'Builds an alive worker can run at once.',
      type: 'gauge',
      samples: alive.map((worker) => ({
        labels: { worker: worker.id, node: worker.node },
        value: worker.slots,
      })),
    },
    {
      name: 'kiln_worker_node_busy',
      help: 'Builds running on an alive worker at its last heartbeat.',
      type: 'gauge',
      samples: alive.map((worker) => ({
        labels: { worker: worker.id, node: worker.node },
        value: worker.load,
      })),
    },
  ];
}
