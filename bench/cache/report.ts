/** The cache benchmark's table: one row per measure, the ratio kiln/baseline and its goal. */

export interface Row {
  label: string;
  baseline: string;
  kiln: string;
  /** kiln relative to the baseline, > 1 meaning kiln is better (faster, more requests). */
  ratio?: number;
  /** The ratio the issue asks for at least. */
  goal?: number;
}

export type Verdict = 'met' | 'missed' | '';

export function verdict(row: Row): Verdict {
  if (row.goal === undefined) return '';
  if (row.ratio === undefined || Number.isNaN(row.ratio)) return 'missed';
  return row.ratio >= row.goal ? 'met' : 'missed';
}

/** Ratio for "more is better" figures (requests/s, MB/s). */
export function higherIsBetter(kiln: number, baseline: number): number {
  return kiln / baseline;
}

/** Ratio for durations: how many times faster kiln is. */
export function lowerIsBetter(kiln: number, baseline: number): number {
  return baseline / kiln;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function renderTable(title: string, baselineName: string, rows: readonly Row[]): string {
  const header: string[] = ['', baselineName, 'kiln', 'ratio', 'goal', ''];
  const cells = rows.map((row) => [
    row.label,
    row.baseline,
    row.kiln,
    row.ratio === undefined || Number.isNaN(row.ratio) ? '-' : `${row.ratio.toFixed(2)}x`,
    row.goal === undefined ? '' : `>= ${row.goal}x`,
    verdict(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((text, i) => pad(text, widths[i]!))
      .join('  ')
      .trimEnd();
  return [title, `  ${line(header)}`, ...cells.map((c) => `  ${line(c)}`)].join('\n');
}

export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

export function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(2)} s`;
}
