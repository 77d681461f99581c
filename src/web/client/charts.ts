// SVG line and stacked-bar charts drawn by hand (no library). Geometry is in chart-geometry.ts.
import {
  DEFAULT_FRAME,
  NARROW_FRAME,
  bucketAt,
  bandCenter,
  isolatedPoints,
  labelIndexes,
  labelPlacement,
  linePath,
  linearScale,
  niceTicks,
  stackedBars,
  valueDomain,
  type Frame,
} from './chart-geometry.js';
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2'];

export interface ChartSeries {
  name: string;
  /** One value per bucket; null: no data (a gap in a line). */
  values: (number | null)[];
  color?: string;
}

export interface ChartSpec {
  title: string;
  /** One label per bucket, shown on the x axis (a few of them) and in the read-out. */
  labels: string[];
  series: ChartSeries[];
  /** Lines, or bars stacked in series order. */
  kind: 'line' | 'bars';
  /** Formats axis ticks and read-out values. */
  format(value: number): string;
  /** The y axis reaches at least this (e.g. 100 for percentages). */
  fixedMax?: number;
  /** Shown instead of the plot when no series has a value. */
  emptyText?: string;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

/** A chart as a <figure data-testid="chart">: title, plot, legend and a hover/tap read-out. */
export function chart(
  spec: ChartSpec,
  frame: Frame = window.innerWidth < 640 ? NARROW_FRAME : DEFAULT_FRAME,
): HTMLElement {
  const count = spec.labels.length;
  const colored = spec.series.map((series, index) => ({
    ...series,
    color: series.color ?? PALETTE[index % PALETTE.length] ?? '#2563eb',
  }));
  const hasData = colored.some((series) => series.values.some((value) => value !== null));
  const readout = h('div', { class: 'chart-readout muted', 'aria-live': 'polite' }, '\u00a0');
  const figure = h(
    'figure',
    { class: 'chart', 'data-testid': 'chart', 'data-chart': spec.title },
    h('figcaption', { class: 'chart-title' }, spec.title),
  );
  if (!hasData || count === 0) {
    figure.append(h('div', { class: 'chart-empty muted' }, spec.emptyText ?? 'No data in this range.'));
    return figure;
  }

  const domain =
    spec.kind === 'bars'
      ? valueDomain([stackTotals(colored.map((series) => series.values))], { fixedMax: spec.fixedMax })
      : valueDomain(
          colored.map((series) => series.values),
          { fixedMax: spec.fixedMax },
        );
  const ticks = niceTicks(domain[0], domain[1], 4);
  const yDomain: [number, number] = [ticks[0] ?? 0, ticks[ticks.length - 1] ?? 1];
  const y = linearScale(yDomain, [frame.height - frame.bottom, frame.top]);

  const plot = svg('svg', {
    viewBox: `0 0 ${frame.width} ${frame.height}`,
    class: 'chart-svg',
    role: 'img',
    'aria-label': spec.title,
    preserveAspectRatio: 'xMidYMid meet',
  });
  // Grid and y axis.
  for (const tick of ticks) {
    const ty = y(tick);
    plot.append(
      svg('line', { x1: frame.left, x2: frame.width - frame.right, y1: ty, y2: ty, class: 'chart-grid' }),
      svg(
        'text',
        { x: frame.left - 6, y: ty + 4, 'text-anchor': 'end', class: 'chart-tick' },
        spec.format(tick),
      ),
    );
  }
  // X labels.
  for (const index of labelIndexes(count, frame.width < 500 ? 3 : 6)) {
    const place = labelPlacement(frame, count, index);
    plot.append(
      svg(
        'text',
        { x: place.x, y: frame.height - 8, 'text-anchor': place.anchor, class: 'chart-tick' },
        spec.labels[index] ?? '',
      ),
    );
  }
  if (spec.kind === 'bars') {
    stackedBars(
      colored.map((series) => series.values.map((value) => value ?? 0)),
      frame,
      yDomain,
    ).forEach((bars, layer) => {
      const color = colored[layer]?.color ?? '#2563eb';
      for (const bar of bars) {
        if (bar.height > 0) plot.append(svg('rect', { ...bar, fill: color, class: 'chart-bar' }));
      }
    });
  } else {
    for (const series of colored) {
      plot.append(
        svg('path', {
          d: linePath(series.values, frame, yDomain),
          stroke: series.color,
          class: 'chart-line',
        }),
      );
      for (const point of isolatedPoints(series.values, frame, yDomain)) {
        plot.append(svg('circle', { cx: point.x, cy: point.y, r: 3, fill: series.color }));
      }
    }
  }

  // Hover (or tap): a guide line on the bucket under the pointer and its values in the read-out.
  const guide = svg('line', {
    y1: frame.top,
    y2: frame.height - frame.bottom,
    x1: -10,
    x2: -10,
    class: 'chart-guide',
  });
  plot.append(guide);
  const show = (event: PointerEvent): void => {
    const box = plot.getBoundingClientRect();
    if (box.width === 0) return;
    const x = ((event.clientX - box.left) / box.width) * frame.width;
    const index = bucketAt(frame, count, x);
    const cx = bandCenter(frame, count, index);
    guide.setAttribute('x1', String(cx));
    guide.setAttribute('x2', String(cx));
    readout.textContent = `${spec.labels[index] ?? ''}: ${colored
      .map((series) => {
        const value = series.values[index];
        return `${series.name} ${value === null || value === undefined ? '—' : spec.format(value)}`;
      })
      .join(' · ')}`;
  };
  plot.addEventListener('pointermove', show);
  plot.addEventListener('pointerdown', show);

  const legend = h(
    'div',
    { class: 'chart-legend' },
    ...colored.map((series) =>
      h(
        'span',
        { class: 'chart-key' },
        h('span', { class: 'chart-swatch', style: `background:${series.color}` }),
        series.name,
      ),
    ),
  );
  figure.append(plot, legend, readout);
  return figure;
}

function stackTotals(stacks: readonly (readonly (number | null)[])[]): number[] {
  const count = Math.max(0, ...stacks.map((layer) => layer.length));
  return Array.from({ length: count }, (_, index) =>
    stacks.reduce((sum, layer) => sum + Math.max(0, layer[index] ?? 0), 0),
  );
}

/** Counts and averages: whole numbers as they are, small fractions with three significant digits. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

/** A bucket's label: the time of day for buckets under a day, otherwise the date (local time). */
export function bucketLabel(startIso: string, bucketMs: number): string {
  const date = new Date(startIso);
  if (Number.isNaN(date.getTime())) return '';
  if (bucketMs < 86_400_000) {
    const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    return bucketMs * 24 > 86_400_000
      ? `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`
      : time;
  }
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** The chart styles, added to the document once (the shell's app.css knows nothing of charts). */
export function ensureChartStyles(): void {
  if (document.getElementById('kiln-chart-css')) return;
  document.head.append(h('style', { id: 'kiln-chart-css' }, CHART_CSS));
}

const CHART_CSS = `
.chart { margin: 0; min-width: 0; padding: 12px; border: 1px solid var(--border, #e5e7eb); border-radius: 8px; background: var(--surface, #fff); }
.chart-title { font-weight: 600; margin-bottom: 6px; }
.chart-svg { display: block; width: 100%; height: auto; touch-action: pan-y; }
.chart-grid { stroke: #e5e7eb; stroke-width: 1; }
.chart-tick { font-size: 11px; fill: #6b7280; }
.chart-line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.chart-guide { stroke: #9ca3af; stroke-dasharray: 3 3; }
.chart-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 13px; margin-top: 4px; }
.chart-key { display: inline-flex; align-items: center; gap: 4px; }
.chart-swatch { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
.chart-readout { font-size: 12px; min-height: 1.4em; overflow-wrap: anywhere; }
.chart-empty { padding: 24px 0; text-align: center; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 12px; }
.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 12px; margin: 0; }
.kv dt { color: #6b7280; }
.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 150px), 1fr)); gap: 8px; margin: 12px 0; }
.tile { border: 1px solid var(--border, #e5e7eb); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.tile-value { font-size: 1.3em; font-weight: 600; overflow-wrap: anywhere; }
.tile-label { font-size: 12px; color: #6b7280; }
.segmented { display: inline-flex; border: 1px solid var(--border, #d1d5db); border-radius: 6px; overflow: hidden; }
.segmented button { border: 0; background: transparent; padding: 4px 10px; cursor: pointer; font: inherit; }
.segmented button[aria-pressed="true"] { background: #2563eb; color: #fff; }
.scroll-x { overflow-x: auto; max-width: 100%; }
.matrix td, .matrix th { white-space: nowrap; }
.matrix .cell-link { display: inline-flex; align-items: center; gap: 4px; text-decoration: none; }
.section { margin: 16px 0; min-width: 0; }
.section h2 { font-size: 1.1em; margin: 0 0 8px; }
.wrap-anywhere { overflow-wrap: anywhere; word-break: break-word; }
.copy-row { display: flex; gap: 6px; align-items: center; min-width: 0; }
.copy-row code { min-width: 0; overflow-wrap: anywhere; }
.card-list { display: grid; gap: 12px; }
.cache-card { border: 1px solid var(--border, #e5e7eb); border-radius: 8px; padding: 12px; min-width: 0; }
.inline-form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 8px 0; }
.inline-form > * { min-width: 0; }
.badge.status-cached { background: #e0f2fe; color: #075985; }
`;
