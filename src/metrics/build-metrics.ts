import type { MetricFamily } from './prometheus.js';

/** What the build metrics are made of: the same statistics the API serves. */
export interface BuildMetricsInput {
  byStatus: Record<string, number>;
  queueLength: number;
  averageBuildTimeMs: number | null;
  averageArtifactSize: number | null;
  successRate: number | null;
  workers: { slots: number; busy: number };
}

/** Build metrics, read from the store on each scrape so they survive restarts and agree with the API. */
export function buildMetricFamilies(input: BuildMetricsInput): MetricFamily[] {
  return [
    {
      name: 'kiln_builds',
      help: 'Build records by status.',
      type: 'gauge',
      samples: Object.entries(input.byStatus).map(([status, value]) => ({ labels: { status }, value })),
    },
    {
      name: 'kiln_queue_length',
      help: 'Builds waiting for a worker.',
      type: 'gauge',
      samples: [{ value: input.queueLength }],
    },
    {
      name: 'kiln_worker_slots',
      help: 'Builds the alive workers can run at once (all of them together).',
      type: 'gauge',
      samples: [{ value: input.workers.slots }],
    },
    {
      name: 'kiln_worker_busy',
      help: 'Builds running on the alive workers (all of them together).',
      type: 'gauge',
      samples: [{ value: input.workers.busy }],
    },
    {
      name: 'kiln_build_duration_seconds_average',
      help: 'Average running time of succeeded builds.',
      type: 'gauge',
      samples: input.averageBuildTimeMs === null ? [] : [{ value: input.averageBuildTimeMs / 1000 }],
    },
    {
      name: 'kiln_build_artifact_bytes_average',
      help: 'Average closure size of succeeded builds.',
      type: 'gauge',
      samples: input.averageArtifactSize === null ? [] : [{ value: input.averageArtifactSize }],
    },
    {
      name: 'kiln_build_success_ratio',
      help: 'Succeeded builds over builds with a verdict (succeeded, failed, timed out).',
      type: 'gauge',
      samples: input.successRate === null ? [] : [{ value: input.successRate / 100 }],
    },
  ];
}
