import type { GcReport } from '../../cache/index.js';
import { formatBytes } from './bytes.js';
import { renderTable } from './table.js';

/** The GC report as the API sends it (`POST /api/v1/caches/:name/gc`). */
export type GcReportView = GcReport;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `kiln cache gc NAME` for people: what went (or would go), what stayed and why, and the bytes. */
export function renderGcReport(report: GcReportView): string[] {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const retention =
    report.retentionDays === null || report.cutoff === null
      ? 'no retention: every path is kept'
      : `retention ${plural(report.retentionDays, 'day')}: paths unused since ${new Date(report.cutoff).toISOString()} expire`;
  const kept = report.keptByReason;
  const rows: string[][] = [
    [verb, String(report.deletedPaths), formatBytes(report.deletedBytes)],
    ['kept', String(report.keptPaths), ''],
    ...(
      [
        ['  pinned', kept.pinned],
        ['  recent', kept.recent],
        ['  referenced', kept.referenced],
        ['  no retention', kept['no-retention']],
      ] as const
    )
      .filter(([, n]) => n > 0)
      .map(([label, n]) => [label, String(n), '']),
  ];
  if (!report.dryRun)
    rows.push(['NAR files freed', String(report.narsDeleted), formatBytes(report.narBytesFreed)]);

  const lines = [
    `${report.dryRun ? 'Dry run of' : 'Garbage collection of'} cache '${report.cacheName}' (${retention})`,
    '',
    ...renderTable(['', 'PATHS', 'BYTES'], rows).split('\n'),
  ];
  if (report.skippedPaths > 0)
    lines.push(
      '',
      `${plural(report.skippedPaths, 'path')} stayed: paths pushed during the run refer to them.`,
    );
  if (report.storageErrors > 0)
    lines.push(
      '',
      `${plural(report.storageErrors, 'stored file')} could not be deleted (see the server log).`,
    );
  if (report.storePaths.length > 0) {
    const more = report.deletedPaths - report.storePaths.length;
    lines.push(
      '',
      `${report.dryRun ? 'Would delete' : 'Deleted'}:`,
      ...report.storePaths.map((p) => `  ${p}`),
    );
    if (more > 0) lines.push(`  … and ${more} more`);
  }
  if (report.dryRun) lines.push('', 'Nothing was deleted (dry run).');
  lines.push('', 'Build logs are kept.');
  return lines;
}
