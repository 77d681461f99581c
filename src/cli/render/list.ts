import type { BuildView } from '../../api/index.js';
import { buildDurationMs, sourceLabel } from './build.js';
import { formatAge, formatDuration } from './duration.js';
import { renderTable } from './table.js';
import { truncate } from './text.js';

/** `kiln list`: ID, STATUS, SOURCE, SERVICE, CREATED, DURATION. */
export function renderBuildList(builds: readonly BuildView[], now: number): string {
  if (builds.length === 0) return 'no builds';
  const rows = builds.map((b) => {
    const ms = buildDurationMs(b, now);
    return [
      b.id,
      b.status,
      truncate(sourceLabel(b.source) + (b.system ? ` [${b.system}]` : ''), 48),
      b.serviceId ?? '-',
      formatAge(b.createdAt, now),
      ms === undefined ? '-' : formatDuration(ms),
    ];
  });
  return renderTable(['ID', 'STATUS', 'SOURCE', 'SERVICE', 'CREATED', 'DURATION'], rows);
}
