// Small building blocks and API shapes shared by the group, projects, caches and statistics pages.
import { ensureChartStyles } from '../charts.js';
import { h, type Child } from '../dom.js';

/** GET /api/v1/stats/timeline. */
export interface TimelineResponse {
  since: string;
  until: string;
  bucketMs: number;
  slots: number;
  buckets: {
    start: string;
    end: string;
    finished: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    successRate: number | null;
    averageBuildTimeMs: number | null;
    p95BuildTimeMs: number | null;
    queueLength: number;
    utilization: number | null;
  }[];
}

/** GET /api/v1/caches/:name/history. */
export interface CacheHistoryResponse {
  since: string;
  until: string;
  bucketMs: number;
  buckets: {
    start: string;
    end: string;
    narinfoHits: number;
    narinfoMisses: number;
    hitRate: number | null;
    narsServed: number;
    narBytesServed: number;
    uploads: number;
    uploadBytes: number;
  }[];
}

/** The ranges the charts offer: the API's `since` and how many buckets to ask for. */
export const RANGES = [
  { id: '24h', label: '24 h', buckets: 24 },
  { id: '7d', label: '7 days', buckets: 28 },
  { id: '30d', label: '30 days', buckets: 30 },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

export function rangeFromQuery(query: URLSearchParams, fallback: RangeId): RangeId {
  const wanted = query.get('range');
  return RANGES.find((range) => range.id === wanted)?.id ?? fallback;
}

/** A row of toggle buttons for the ranges; `onChange` gets the chosen one. */
export function rangeSelector(current: RangeId, onChange: (range: RangeId) => void): HTMLElement {
  const group = h('div', {
    class: 'segmented',
    role: 'group',
    'aria-label': 'Range',
    'data-testid': 'range',
  });
  const buttons = RANGES.map((range) =>
    h(
      'button',
      {
        type: 'button',
        'aria-pressed': range.id === current ? 'true' : 'false',
        'data-range': range.id,
        onclick: () => {
          for (const button of buttons)
            button.setAttribute('aria-pressed', button === buttonFor(range.id) ? 'true' : 'false');
          onChange(range.id);
        },
      },
      range.label,
    ),
  );
  const buttonFor = (id: RangeId): HTMLButtonElement | undefined =>
    buttons[RANGES.findIndex((range) => range.id === id)];
  group.append(...buttons);
  return group;
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'section' }, h('h2', null, title), ...children);
}

/** A definition list of label → value pairs (values wrap anywhere, for long URLs on phones). */
export function keyValues(pairs: readonly [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'kv' },
    ...pairs.flatMap(([key, value]) => [h('dt', null, key), h('dd', null, value)]),
  );
}

/** A figure with a big value and a label. */
export function tile(label: string, value: Child, testid?: string): HTMLElement {
  return h(
    'div',
    { class: 'tile', ...(testid && { 'data-testid': testid }) },
    h('div', { class: 'tile-value' }, value),
    h('div', { class: 'tile-label' }, label),
  );
}

export function muted(text: string): HTMLElement {
  return h('span', { class: 'muted' }, text);
}

/**
 * A table inside a box that scrolls sideways, so that the page itself never does. Each body cell
 * gets its column's title as `data-label`: on a phone the shell's CSS shows rows as cards, with
 * that label in front of each value.
 */
export function scrollTable(table: HTMLTableElement): HTMLElement {
  const titles = [...(table.tHead?.rows[0]?.cells ?? [])].map((cell) => cell.textContent ?? '');
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      [...row.cells].forEach((cell, index) => {
        const title = titles[index];
        if (title && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', title);
      });
    }
  }
  return h('div', { class: 'table-wrap scroll-x' }, table);
}

export function headRow(...titles: string[]): HTMLTableSectionElement {
  return h('thead', null, h('tr', null, ...titles.map((title) => h('th', { scope: 'col' }, title))));
}

/** A button that copies `text` to the clipboard and says so. */
export function copyButton(text: string, label = 'Copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn small' }, label);
  button.addEventListener('click', () => {
    void navigator.clipboard?.writeText(text).then(
      () => {
        button.textContent = 'Copied';
        setTimeout(() => (button.textContent = label), 1500);
      },
      () => undefined,
    );
  });
  return button;
}

/** A percentage with one decimal, or a dash. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : `${(Math.round(value * 10) / 10).toString()} %`;
}

/** Adds the styles of these pages (charts, tiles, key-value lists) once. */
export function pageStyles(): void {
  ensureChartStyles();
}
