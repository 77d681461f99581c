export { renderPrometheus, type MetricFamily } from './prometheus.js';
export { buildMetricFamilies, type BuildMetricsInput } from './build-metrics.js';
export { cacheMetricFamilies, type CacheMetricsInput } from './cache-metrics.js';
export { workerMetricFamilies, type WorkerMetricsInput } from './worker-metrics.js';
