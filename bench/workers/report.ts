/** Figures of the workers benchmark from build records, and its table. */
import type { BuildTimes } from './load.js';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface QueueFigures {
  builds: number;
  failed: number;
  /** Builds per second from the first enqueue (createdAt) to the last finish (finishedAt). */
  perSecond: number;
  spanMs: number;
  /** Enqueue to start, over every build of the queue: mostly time spent queued. */
  start: Latency;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Start minus `from` (default: createdAt) over the builds that started. */
export function startLatency<B extends BuildTimes>(
  builds: readonly B[],
  from: (build: B) => number = (b) => b.createdAt,
): Latency {
  const waits = builds
    .filter((b) => b.startedAt !== null)
    .map((b) => b.startedAt! - from(b))
    .sort((a, b) => a - b);
  return { p50: percentile(waits, 50), p99: percentile(waits, 99), max: waits[waits.length - 1] ?? NaN };
}

export function queueFigures(builds: readonly BuildTimes[]): QueueFigures {
  const first = Math.min(...builds.map((b) => b.createdAt));
  const last = Math.max(...builds.map((b) => b.finishedAt ?? 0));
  const spanMs = last - first;
  return {
    builds: builds.length,
    failed: builds.filter((b) => b.status !== 'succeeded').length,
    perSecond: builds.length / (spanMs / 1000),
    spanMs,
    start: startLatency(builds),
  };
}

export interface Line {
  setup: string;
  processes: string;
  perSecond: number;
  submittedMs?: number;
  queued?: Latency;
  idle?: Latency;
  /** Idle builds, from the submission's answer (queued) to start. */
  idleQueued?: Latency;
  failed?: number;
}

const fmtMs = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value)
    ? '-'
    : value < 10
      ? `${value.toFixed(1)} ms`
      : `${value.toFixed(0)} ms`;
const fmtS = (value: number | undefined): string =>
  value === undefined ? '-' : `${(value / 1000).toFixed(1)} s`;
const ratio = (value: number, base: number | undefined): string =>
  base === undefined || !(base > 0) ? '-' : `${(value / base).toFixed(2)}x`;

function pad(text: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - text.length));
  return right ? fill + text : text + fill;
}

export function renderTable(
  title: string,
  lines: readonly Line[],
  nixPerSecond: number,
  sqlitePerSecond?: number,
): string {
  const header = [
    'setup',
    'processes',
    'builds/s',
    'vs nix',
    'vs sqlite',
    'submitted in',
    'queued start p50',
    'p99',
    'idle start p50',
    'p99',
    'from answer p50',
    'p99',
    'not succeeded',
  ];
  const cells = lines.map((l) => [
    l.setup,
    l.processes,
    l.perSecond.toFixed(1),
    ratio(l.perSecond, nixPerSecond),
    ratio(l.perSecond, sqlitePerSecond),
    fmtS(l.submittedMs),
    fmtMs(l.queued?.p50),
    fmtMs(l.queued?.p99),
    fmtMs(l.idle?.p50),
    fmtMs(l.idle?.p99),
    fmtMs(l.idleQueued?.p50),
    fmtMs(l.idleQueued?.p99),
    l.failed === undefined ? '-' : String(l.failed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: readonly string[]): string =>
    c
      .map((text, i) => pad(text, widths[i]!, i >= 2))
      .join('  ')
      .trimEnd();
  return [title, `  ${row(header)}`, ...cells.map((c) => `  ${row(c)}`)].join('\n');
}

export { fmtMs };
