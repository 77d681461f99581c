// Chart geometry without the DOM: scales, axis ticks, line paths and bars, in SVG user units.
// src/web/client/charts.ts draws them; test/unit/web/charts.test.ts checks them.

/** The drawing area inside a `width` x `height` viewBox, after the margins for the axes. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_FRAME: Frame = { width: 640, height: 220, left: 52, right: 12, top: 12, bottom: 28 };
/** For phones: fewer units across, so that the text stays readable when the SVG is scaled down. */
export const NARROW_FRAME: Frame = { width: 360, height: 200, left: 48, right: 8, top: 10, bottom: 26 };

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to r0. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  return (value: number): number => (span === 0 ? r0 : r0 + ((value - d0) / span) * (r1 - r0));
}

/** 1, 2 or 5 times a power of ten: the step that divides `span` into about `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Round tick values covering [min, max] (the first at or below min, the last at or above max),
 * about `count` intervals. An empty or zero range gets [min, min + 1] so that the axis still shows.
 */
export function niceTicks(min: number, max: number, count = 4): number[] {
  let lo = Number.isFinite(min) ? min : 0;
  let hi = Number.isFinite(max) ? max : lo + 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) hi = lo + 1;
  const step = niceStep(hi - lo, count);
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals, so that 0.1 + 0.2 shows as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  // Multiplied rather than summed, so that rounding errors do not add up; bounded for safety.
  for (let i = 0; i <= 1000; i++) {
    const value = first + i * step;
    ticks.push(Number(value.toFixed(decimals)));
    if (value >= hi - step * 1e-9) break;
  }
  return ticks;
}

/** The y range to plot: from 0 (or below, for negative data) up to the largest value or `fixedMax`. */
export function valueDomain(
  series: readonly (readonly (number | null)[])[],
  options: { fixedMax?: number | undefined } = {},
): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const values of series) {
    for (const value of values) {
      if (value === null || !Number.isFinite(value)) continue;
      lo = Math.min(lo, value);
      hi = Math.max(hi, value);
    }
  }
  if (options.fixedMax !== undefined) hi = Math.max(hi, options.fixedMax);
  return [lo, hi];
}

/** The x of the centre of bucket `index` of `count`, each bucket an equal band of the frame. */
export function bandCenter(frame: Frame, count: number, index: number): number {
  const inner = frame.width - frame.left - frame.right;
  return frame.left + (inner * (index + 0.5)) / Math.max(1, count);
}

export interface Point {
  x: number;
  y: number;
}

/**
 * An SVG path (`M x y L x y ...`) through the values, one point per bucket; a null value (no
 * data) breaks the line, so a gap is never drawn as a slope. Coordinates are rounded to 0.1.
 */
export function linePath(
  values: readonly (number | null)[],
  frame: Frame,
  yDomain: readonly [number, number],
): string {
  const y = linearScale(yDomain, [frame.height - frame.bottom, frame.top]);
  const parts: string[] = [];
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      drawing = false;
      return;
    }
    const x = bandCenter(frame, values.length, index);
    parts.push(`${drawing ? 'L' : 'M'}${round(x)} ${round(y(value))}`);
    drawing = true;
  });
  return parts.join(' ');
}

/** Points with no neighbour on either side: a line of one point is invisible, so they get a dot. */
export function isolatedPoints(
  values: readonly (number | null)[],
  frame: Frame,
  yDomain: readonly [number, number],
): Point[] {
  const y = linearScale(yDomain, [frame.height - frame.bottom, frame.top]);
  const present = (index: number): boolean => {
    const value = values[index];
    return value !== null && value !== undefined && Number.isFinite(value);
  };
  const points: Point[] = [];
  values.forEach((value, index) => {
    if (value === null || !present(index) || present(index - 1) || present(index + 1)) return;
    points.push({ x: round(bandCenter(frame, values.length, index)), y: round(y(value)) });
  });
  return points;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Stacked bars, one per bucket: `stacks[s][i]` is the height of layer s in bucket i, drawn from
 * the baseline up in layer order. Bars fill `fill` of their band (the rest is the gap).
 */
export function stackedBars(
  stacks: readonly (readonly number[])[],
  frame: Frame,
  yDomain: readonly [number, number],
  fill = 0.7,
): Bar[][] {
  const count = Math.max(0, ...stacks.map((layer) => layer.length));
  const y = linearScale(yDomain, [frame.height - frame.bottom, frame.top]);
  const band = (frame.width - frame.left - frame.right) / Math.max(1, count);
  const width = band * fill;
  const base = new Array<number>(count).fill(0);
  return stacks.map((layer) =>
    layer.map((value, index) => {
      const from = base[index] ?? 0;
      const to = from + Math.max(0, value);
      base[index] = to;
      const top = y(to);
      return {
        x: round(bandCenter(frame, count, index) - width / 2),
        y: round(top),
        width: round(width),
        height: round(y(from) - top),
      };
    }),
  );
}

/**
 * Which bucket indexes get an x-axis label: at most `max`, evenly spaced, the last bucket
 * always included (it is "now").
 */
export function labelIndexes(count: number, max: number): number[] {
  if (count <= 0 || max <= 0) return [];
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  const step = Math.ceil((count - 1) / Math.max(1, max - 1));
  const indexes: number[] = [];
  for (let index = count - 1; index >= 0; index -= step) indexes.unshift(index);
  return indexes;
}

/**
 * Where an x-axis label goes: under its bucket, centred; the newest (rightmost) one ends at the
 * viewBox's right edge instead, so that a centred label does not spill out of the chart.
 */
export function labelPlacement(
  frame: Frame,
  count: number,
  index: number,
): { x: number; anchor: 'middle' | 'end' } {
  if (count > 1 && index === count - 1) return { x: frame.width - 2, anchor: 'end' };
  return { x: round(bandCenter(frame, count, index)), anchor: 'middle' };
}

/** The bucket under x (for hover read-outs), clamped to the buckets. */
export function bucketAt(frame: Frame, count: number, x: number): number {
  const inner = frame.width - frame.left - frame.right;
  const index = Math.floor(((x - frame.left) / inner) * count);
  return Math.min(Math.max(index, 0), Math.max(0, count - 1));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
