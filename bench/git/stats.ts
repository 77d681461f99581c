/** Pure figures for the Git benchmark: percentiles, a build's step timings, goals and verdicts. */

/** The nearest-rank percentile (p in 0..100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The median as the 50th nearest-rank percentile (the lower middle for an even count). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** A build step as GET /api/v1/builds/:id shows it. */
export interface StepView {
  name: string;
  startedAt: string;
  finishedAt: string | null;
}

/** What a build's server-side time went on, in milliseconds. */
export interface BuildTimings {
  /** createdAt to the first step's start: queueing and worker pick-up. */
  queued: number;
  /** Each finished step's duration, by name, in the order the steps ran. */
  steps: Map<string, number>;
  /** Between steps and after the last one until finishedAt: bookkeeping outside any step. */
  between: number;
  /** createdAt to finishedAt. */
  total: number;
}

/** Splits a finished build's server-side time into queueing, steps and the rest. */
export function buildTimings(build: {
  createdAt: string;
  finishedAt: string | null;
  steps?: readonly StepView[];
}): BuildTimings {
  const created = Date.parse(build.createdAt);
  const finished = build.finishedAt === null ? Number.NaN : Date.parse(build.finishedAt);
  const steps = new Map<string, number>();
  let inSteps = 0;
  let firstStart = finished;
  for (const step of build.steps ?? []) {
    const start = Date.parse(step.startedAt);
    const end = step.finishedAt === null ? Number.NaN : Date.parse(step.finishedAt);
    firstStart = Math.min(firstStart, start);
    steps.set(step.name, (steps.get(step.name) ?? 0) + (end - start));
    inSteps += end - start;
  }
  const total = finished - created;
  const queued = firstStart - created;
  return { queued, steps, between: total - queued - inSteps, total };
}

/** The median of each named figure over several builds (names in first-seen order). */
export function medianTimings(all: readonly BuildTimings[]): BuildTimings {
  const names = [...new Set(all.flatMap((t) => [...t.steps.keys()]))];
  return {
    queued: median(all.map((t) => t.queued)),
    steps: new Map(names.map((name) => [name, median(all.map((t) => t.steps.get(name) ?? 0))])),
    between: median(all.map((t) => t.between)),
    total: median(all.map((t) => t.total)),
  };
}

/** A goal the issue states: a figure must stay below (or at most at) a limit. */
export interface Goal {
  op: '<' | '<=';
  limit: number;
  /** How the limit reads in the table: `50 ms`, `1.3x`. */
  unit: 'ms' | 'x';
}

export type Verdict = 'met' | 'missed';

export function verdict(value: number, goal: Goal): Verdict {
  if (!Number.isFinite(value)) return 'missed';
  return (goal.op === '<' ? value < goal.limit : value <= goal.limit) ? 'met' : 'missed';
}

export function goalText(goal: Goal): string {
  return `${goal.op} ${goal.limit}${goal.unit === 'ms' ? ' ms' : 'x'}`;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A titled table with aligned columns, as the other benchmarks print. */
export function renderTable(title: string, header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((width, i) => pad(cells[i] ?? '', width))
      .join('  ')
      .trimEnd();
  return [title, `  ${line(header)}`, ...rows.map((r) => `  ${line(r)}`)].join('\n');
}
