import type { BuildRecord, BuildStatus, Store } from '../persistence/index.js';
import type { LastGoodImage, Statistics } from './types.js';

const UTILIZATION_WINDOW_MS = 3_600_000;

export interface StatisticsQuery {
  serviceId?: string | undefined;
  /** `KEY=VALUE` */
  label?: string | undefined;
  since?: number | undefined;
}

/**
 * Success rate, averages (build time, artifact and image size, bytes pushed), the last good image,
 * queue length and worker utilisation, overall or per service/label.
 */
export async function computeStatistics(
  store: Store,
  workers: { slots: number; busy: number },
  query: StatisticsQuery,
  now: number,
): Promise<Statistics> {
  const label = query.label ? splitLabel(query.label) : undefined;
  const filter = {
    ...(query.serviceId !== undefined && { serviceId: query.serviceId }),
    ...(label && { label }),
  };
  const agg = await store.builds.aggregate({
    ...filter,
    ...(query.since !== undefined && { since: query.since }),
    now,
  });
  const windowStart = now - UTILIZATION_WINDOW_MS;
  const recent = await store.builds.aggregate({ ...filter, since: windowStart, now });
  const newestImageBuild = await store.builds.newestSucceededWithImage({
    ...filter,
    ...(query.since !== undefined && { since: query.since }),
  });
  const finished = agg.succeeded + agg.failed + agg.timedOut + agg.dependencyFailed;
  const byStatus: Record<BuildStatus, number> = {
    pending: agg.pending,
    running: agg.running,
    succeeded: agg.succeeded,
    failed: agg.failed,
    cancelled: agg.cancelled,
    timed_out: agg.timedOut,
    superseded: agg.superseded,
    dependency_failed: agg.dependencyFailed,
  };
  return {
    scope: { serviceId: query.serviceId ?? null, label: query.label ?? null, since: query.since ?? null },
    total: agg.total,
    byStatus,
    // Cancelled and superseded builds never got a verdict, so they do not count either way.
    successRate: finished === 0 ? null : (100 * agg.succeeded) / finished,
    averageBuildTimeMs: agg.averageDurationMs,
    averageArtifactSize: agg.averageArtifactSize,
    averageImageSize: agg.averageImageSize,
    averageBytesPushed: agg.averageImageBytesUploaded,
    lastGoodImage: newestImageBuild ? lastGoodImage(newestImageBuild) : null,
    queueLength: await store.builds.countByStatus('pending'),
    workers: {
      slots: workers.slots,
      busy: workers.busy,
      utilization: workers.slots === 0 ? 0 : workers.busy / workers.slots,
      utilizationWindow:
        workers.slots === 0 ? null : Math.min(1, recent.busyMs / (UTILIZATION_WINDOW_MS * workers.slots)),
    },
  };
}

function lastGoodImage(build: BuildRecord): LastGoodImage | null {
  // The repo only returns succeeded builds with an image, which always have finished.
  if (build.image === null || build.finishedAt === null) return null;
  return {
    buildId: build.id,
    ref: build.image.ref,
    digest: build.image.digest,
    finishedAt: build.finishedAt,
  };
}

function splitLabel(text: string): { key: string; value: string } {
  const at = text.indexOf('=');
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}
