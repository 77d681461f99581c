// What the build page says about a build (pure): source, steps timeline, phases, failure text.
import { formatDuration } from './format.js';

export interface SourceLike {
  kind: string;
  fileName?: string;
  url?: string;
  ref?: string;
  attr?: string;
  name?: string;
  version?: string;
  sync?: string;
  tag?: string;
}

/** The source in one line: `git https://…/app.git @ main · packages.hello`, `expr hello.nix`, … */
export function sourceText(source: SourceLike): string {
  switch (source.kind) {
    case 'git':
      return [source.url ?? '', source.ref ? `@ ${source.ref}` : '', source.attr ? `· ${source.attr}` : '']
        .filter(Boolean)
        .join(' ');
    case 'expr':
      return source.fileName ? `expression (${source.fileName})` : 'expression';
    case 'template':
      return `template ${source.name ?? ''}${source.version ? `@${source.version}` : ''}`;
    case 'bump':
      return `version sync ${source.sync ?? ''}${source.version ? ` → ${source.version}` : ''}`;
    default:
      return source.kind;
  }
}

export interface TimelineStep {
  name: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  detail: string | null;
}

export interface TimelineBar {
  name: string;
  status: string;
  detail: string | null;
  /** Offset and width as percentages of the whole timeline. */
  left: number;
  width: number;
  durationMs: number;
  label: string;
}

/**
 * Steps as bars on one time axis (from the first step's start to the last end, or `now` for a
 * running step). Each bar is at least 0.5% wide so an instant step stays visible.
 */
export function timeline(steps: readonly TimelineStep[], now: number = Date.now()): TimelineBar[] {
  const spans = steps.map((s) => {
    const start = Date.parse(s.startedAt);
    const end = s.finishedAt ? Date.parse(s.finishedAt) : now;
    return { step: s, start, end: Math.max(start, end) };
  });
  if (spans.length === 0) return [];
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.end));
  const total = Math.max(1, t1 - t0);
  return spans.map(({ step, start, end }) => {
    const left = ((start - t0) / total) * 100;
    const width = Math.max(0.5, Math.min(100 - left, ((end - start) / total) * 100));
    const durationMs = end - start;
    return {
      name: step.name,
      status: step.status,
      detail: step.detail,
      left,
      width,
      durationMs,
      label: step.finishedAt ? formatDuration(durationMs) : `${formatDuration(durationMs)}…`,
    };
  });
}

export interface PhaseEntry {
  phase: string;
  drv: string | null;
  at: number | null;
  line: number | null;
}

/**
 * Adds a phase reported by a progress event unless it repeats the previous one for the same
 * derivation; returns the same array when nothing changed.
 */
export function addPhase(
  phases: readonly PhaseEntry[],
  entry: PhaseEntry,
): PhaseEntry[] | readonly PhaseEntry[] {
  const last = [...phases].reverse().find((p) => p.drv === entry.drv);
  if (last && last.phase === entry.phase) return phases;
  return [...phases, entry];
}

/** The derivation's name from its .drv path: `/nix/store/…-hello-1.0.drv` → `hello-1.0`. */
export function drvName(path: string | null): string | null {
  if (!path) return null;
  const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.drv$/, '');
  const dash = base.indexOf('-');
  return dash === 32 ? base.slice(dash + 1) : base;
}

/** Why a build did not succeed, in one paragraph (null when it succeeded or is still going). */
export function failureText(build: {
  status: string;
  error: string | null;
  reason: string | null;
  exitCode: number | null;
}): string | null {
  if (build.status === 'succeeded' || build.status === 'pending' || build.status === 'running') return null;
  const parts: string[] = [];
  if (build.reason) parts.push(`Reason: ${build.reason}.`);
  if (build.exitCode !== null) parts.push(`Exit code ${build.exitCode}.`);
  if (build.error) parts.push(build.error);
  if (parts.length === 0) parts.push(`The build ${build.status.replace(/_/g, ' ')}.`);
  return parts.join(' ');
}

/** Percent of derivations done (0–100), or null when Nix has not said how many to expect. */
export function progressPercent(progress: { done: number; expected: number }): number | null {
  if (progress.expected <= 0) return null;
  return Math.min(100, Math.round((progress.done / progress.expected) * 100));
}
