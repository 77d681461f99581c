import { bucketLabel, chart, formatCount } from '../charts.js';
import { errorBox, formatBytes, formatDuration, h, replaceChildren } from '../dom.js';
import type { Page } from '../page.js';
import {
  RANGES,
  muted,
  pageStyles,
  percent,
  rangeFromQuery,
  rangeSelector,
  section,
  tile,
  type RangeId,
  type TimelineResponse,
} from './widgets.js';

/** GET /api/v1/stats (what this page shows of it). */
interface StatsResponse {
  total: number;
  byStatus: Record<string, number>;
  successRate: number | null;
  averageBuildTimeMs: number | null;
  averageArtifactSize: number | null;
  queueLength: number;
  workers: { slots: number; busy: number; utilization: number; utilizationWindow: number | null };
  lastGoodImage: { buildId: string; ref: string; digest: string; finishedAt: string } | null;
}

const RANGE_HOURS: Record<RangeId, number> = { '24h': 24, '7d': 168, '30d': 720 };

function totals(stats: StatsResponse): HTMLElement {
  const count = (status: string): number => stats.byStatus[status] ?? 0;
  return h(
    'div',
    { class: 'tiles', 'data-testid': 'stats-totals' },
    tile('builds', String(stats.total), 'stats-total'),
    tile('success rate', percent(stats.successRate), 'stats-success-rate'),
    tile('succeeded', String(count('succeeded'))),
    tile('failed', String(count('failed') + count('timed_out') + count('dependency_failed'))),
    tile('cancelled', String(count('cancelled') + count('superseded'))),
    tile(
      'average build time',
      stats.averageBuildTimeMs === null ? '—' : formatDuration(stats.averageBuildTimeMs),
    ),
    tile('average closure', formatBytes(stats.averageArtifactSize)),
    tile('queue now', String(stats.queueLength), 'stats-queue'),
    tile('workers busy', `${stats.workers.busy} / ${stats.workers.slots}`),
    tile(
      'utilisation (1 h)',
      stats.workers.utilizationWindow === null ? '—' : percent(stats.workers.utilizationWindow * 100),
    ),
  );
}

function timelineCharts(timeline: TimelineResponse): HTMLElement {
  const labels = timeline.buckets.map((bucket) => bucketLabel(bucket.start, timeline.bucketMs));
  const values = <K extends keyof TimelineResponse['buckets'][number]>(key: K) =>
    timeline.buckets.map((bucket) => bucket[key]);
  return h(
    'div',
    { class: 'charts' },
    chart({
      title: 'Success rate',
      kind: 'line',
      labels,
      series: [{ name: 'succeeded of finished', values: values('successRate') }],
      format: (value) => `${Math.round(value)} %`,
      fixedMax: 100,
      emptyText: 'No build finished in this range.',
    }),
    chart({
      title: 'Build time',
      kind: 'line',
      labels,
      series: [
        { name: 'average', values: values('averageBuildTimeMs') },
        { name: 'p95', values: values('p95BuildTimeMs') },
      ],
      format: (value) => formatDuration(value),
      emptyText: 'No build ran to success in this range.',
    }),
    chart({
      title: 'Builds finished',
      kind: 'bars',
      labels,
      series: [
        { name: 'succeeded', values: values('succeeded'), color: '#16a34a' },
        { name: 'failed', values: values('failed'), color: '#dc2626' },
        { name: 'cancelled', values: values('cancelled'), color: '#9ca3af' },
      ],
      format: formatCount,
      emptyText: 'No build finished in this range.',
    }),
    chart({
      title: 'Queue length (average pending builds)',
      kind: 'line',
      labels,
      series: [{ name: 'pending', values: values('queueLength') }],
      format: formatCount,
      // A queue is counted in builds: an axis below one build only shows rounding noise.
      fixedMax: 1,
    }),
    chart({
      title: `Worker utilisation (${timeline.slots} slot${timeline.slots === 1 ? '' : 's'})`,
      kind: 'line',
      labels,
      series: [
        {
          name: 'busy',
          values: timeline.buckets.map((bucket) =>
            bucket.utilization === null ? null : bucket.utilization * 100,
          ),
        },
      ],
      format: (value) => `${Math.round(value)} %`,
      fixedMax: 100,
      emptyText: 'No worker slots configured.',
    }),
  );
}

/** `/stats`: totals of /api/v1/stats and charts of the build timeline, for 24 h, 7 or 30 days. */
export const statsPage: Page = {
  title: 'Statistics',
  render(root, ctx) {
    pageStyles();
    let range = rangeFromQuery(ctx.query, '7d');
    let ticket = 0;
    const message = h('div');
    const figures = h('div', null, muted('Loading…'));
    const charts = h('div', null, muted('Loading…'));

    const load = async (): Promise<void> => {
      const mine = ++ticket;
      const spec = RANGES.find((entry) => entry.id === range) ?? RANGES[0];
      try {
        const [stats, timeline] = await Promise.all([
          ctx.api.get<StatsResponse>(`/api/v1/stats?sinceHours=${RANGE_HOURS[range]}`),
          ctx.api.get<TimelineResponse>(`/api/v1/stats/timeline?since=${spec.id}&buckets=${spec.buckets}`),
        ]);
        if (mine !== ticket) return;
        replaceChildren(message);
        replaceChildren(figures, totals(stats));
        replaceChildren(charts, timelineCharts(timeline));
      } catch (error) {
        if (mine === ticket) replaceChildren(message, errorBox(error));
      }
    };
    const selector = rangeSelector(range, (chosen) => {
      range = chosen;
      history.replaceState(null, '', `/stats?range=${chosen}`);
      void load();
    });
    replaceChildren(
      root,
      h(
        'div',
        { 'data-testid': 'stats-page' },
        h('div', { class: 'page-head' }, h('h1', null, 'Statistics'), selector),
        message,
        section('Totals', figures),
        section('Over time', charts),
      ),
    );
    void load();
    // The newest bucket keeps filling: refresh while the page is visible.
    const refresh = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, 30_000);
    return () => clearInterval(refresh);
  },
};
