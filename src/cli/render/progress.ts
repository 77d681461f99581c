import type { BuildView } from '../../api/index.js';
import { drvName } from './build.js';
import { formatElapsed } from './duration.js';
import { stripControl, truncate } from './text.js';

export interface ProgressEntry {
  /** Shown when several builds are followed together (their system). */
  label: string | undefined;
  status: string;
  progress: BuildView['progress'];
}

/**
 * The status line shown under a followed log: elapsed time, derivations done/expected, the phase
 * and the derivation being built. Pure; `columns` bounds it so the terminal never wraps it.
 */
export function progressLine(elapsedMs: number, entries: readonly ProgressEntry[], columns: number): string {
  const parts = entries.map((entry) => {
    const bits: string[] = [];
    if (entry.label) bits.push(entry.label);
    const p = entry.progress;
    if (entry.status === 'pending') bits.push('waiting for a worker');
    else if (entry.status !== 'running') bits.push(entry.status.replace('_', ' '));
    else {
      if (p.expected > 0) bits.push(`${p.done}/${p.expected} drv`);
      if (p.failed > 0) bits.push(`${p.failed} failed`);
      if (p.phase) bits.push(p.phase);
      if (p.activeDrv) bits.push(drvName(p.activeDrv));
      if (bits.length === (entry.label ? 1 : 0)) bits.push('running');
    }
    return bits.join(' · ');
  });
  // Server text ends up in here (phase, derivation names): keep control characters out of it.
  const text = stripControl(`[${formatElapsed(elapsedMs)}] ${parts.join(' | ')}`);
  return truncate(text, Math.max(10, columns - 1));
}
