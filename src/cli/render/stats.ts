import type { CleanupResponse, StatsResponse } from '../../api/index.js';
import { formatBytes } from './bytes.js';
import { formatDuration } from './duration.js';

const pct = (ratio: number): string => `${(ratio * 100).toFixed(ratio === 0 || ratio === 1 ? 0 : 1)}%`;

/** `kiln stats` for people. */
export function statsLines(stats: StatsResponse): string[] {
  const scope = [
    stats.scope.serviceId ? `service ${stats.scope.serviceId}` : '',
    stats.scope.label ? `label ${stats.scope.label}` : '',
    stats.scope.since ? `since ${stats.scope.since}` : '',
  ].filter(Boolean);
  const byStatus = Object.entries(stats.byStatus)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  const w = stats.workers;
  const lines = [
    ...(scope.length > 0 ? [`scope:             ${scope.join(', ')}`] : []),
    `builds:            ${stats.total}${byStatus ? ` (${byStatus})` : ''}`,
    `success rate:      ${stats.successRate === null ? '-' : `${stats.successRate.toFixed(1)}%`}`,
    `avg build time:    ${stats.averageBuildTimeMs === null ? '-' : formatDuration(stats.averageBuildTimeMs)}`,
    `avg artifact size: ${stats.averageArtifactSize === null ? '-' : formatBytes(stats.averageArtifactSize)}`,
    `avg image size:    ${stats.averageImageSize === null ? '-' : formatBytes(stats.averageImageSize)}`,
    `avg bytes pushed:  ${stats.averageBytesPushed === null ? '-' : formatBytes(stats.averageBytesPushed)}`,
    `last good image:   ${lastGoodImage(stats.lastGoodImage)}`,
    `queue length:      ${stats.queueLength}`,
    `workers:           ${w.busy}/${w.slots} busy (${pct(w.utilization)})` +
      (w.utilizationWindow === null ? '' : `, ${pct(w.utilizationWindow)} over the window`),
  ];
  return lines;
}

/** `REF@DIGEST (build ID)`: pullable as it is, and names the build that made it. */
function lastGoodImage(image: StatsResponse['lastGoodImage']): string {
  return image === null ? '-' : `${image.ref}@${image.digest} (build ${image.buildId})`;
}

/** `kiln cleanup` for people. */
export function cleanupLines(result: CleanupResponse): string[] {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const roots = result.dryRun ? 'would remove' : 'removed';
  const lines = [
    `${verb} ${result.deletedBuilds} build${result.deletedBuilds === 1 ? '' : 's'}, ${roots} ${result.removedRoots} GC root${result.removedRoots === 1 ? '' : 's'}`,
  ];
  if (result.keptBuilds.length > 0) {
    lines.push(
      `kept ${result.keptBuilds.length} (newest success of a service): ${result.keptBuilds.join(', ')}`,
    );
  }
  if (result.dryRun) lines.push('dry run: nothing was deleted');
  return lines;
}
