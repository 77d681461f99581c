import type { ApiClient } from '../api.js';
import { bucketLabel, chart } from '../charts.js';
import { errorBox, formatBytes, h, replaceChildren } from '../dom.js';
import { relativeTime } from '../format.js';
import type { Page } from '../page.js';
import {
  RANGES,
  copyButton,
  headRow,
  keyValues,
  muted,
  pageStyles,
  percent,
  rangeFromQuery,
  rangeSelector,
  scrollTable,
  tile,
  type CacheHistoryResponse,
  type RangeId,
} from './widgets.js';

/** An entry of GET /api/v1/caches (times in epoch ms). */
interface CacheRecord {
  name: string;
  private: boolean;
  priority: number;
  retentionDays: number | null;
  createdAt: number;
}

/** GET /api/v1/caches/:name. */
interface CacheInfo extends CacheRecord {
  trustedPublicKeys: string[];
  counters: {
    narinfoHits: number;
    narinfoMisses: number;
    narsServed: number;
    narBytesServed: number;
    uploads: number;
    uploadBytes: number;
  };
  usage: { objects: number; narBytes: number; fileBytes: number; pins: number };
}

/** GET /api/v1/tokens?cache=NAME (times in epoch ms). */
interface TokenView {
  id: string;
  perm: 'pull' | 'push' | 'admin';
  cache: string | null;
  description: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function tokenState(token: TokenView, now: number): string {
  if (token.revokedAt !== null) return `revoked ${relativeTime(iso(token.revokedAt), now)}`;
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  if (token.expiresAt !== null) return `expires ${relativeTime(iso(token.expiresAt), now)}`;
  return 'live';
}

/** The tokens of one cache: list, revoke, create (the secret is shown once). */
function tokensPanel(api: ApiClient, cache: string): HTMLElement {
  const panel = h('div', { 'data-testid': 'cache-tokens' });
  const message = h('div');
  const list = h('div', null, muted('Loading…'));
  const perm = h(
    'select',
    { name: 'perm', 'aria-label': 'Permission' },
    h('option', { value: 'pull' }, 'pull'),
    h('option', { value: 'push' }, 'push'),
    h('option', { value: 'admin' }, 'admin'),
  );
  const description = h('input', {
    type: 'text',
    name: 'description',
    placeholder: 'description',
    'aria-label': 'Description',
  });
  const create = h('button', { type: 'submit', class: 'btn', 'data-testid': 'create-token' }, 'Create token');
  const form = h('form', { class: 'inline-form' }, perm, description, create);

  const load = async (): Promise<void> => {
    const { tokens } = await api.get<{ tokens: TokenView[] }>(
      `/api/v1/tokens?cache=${encodeURIComponent(cache)}`,
    );
    const now = Date.now();
    if (tokens.length === 0) {
      replaceChildren(list, muted('No tokens for this cache.'));
      return;
    }
    const table = h(
      'table',
      { class: 'table' },
      headRow('Token', 'Permission', 'Description', 'Created', 'State', ''),
      h(
        'tbody',
        null,
        ...tokens.map((token) => {
          const revoke = h(
            'button',
            { type: 'button', class: 'btn small danger', 'data-testid': 'revoke-token' },
            'Revoke',
          );
          revoke.addEventListener('click', () => {
            if (!confirm(`Revoke token ${token.id}? Clients using it lose access at once.`)) return;
            revoke.disabled = true;
            api
              .delete(`/api/v1/tokens/${encodeURIComponent(token.id)}`)
              .then(load)
              .catch((error: unknown) => replaceChildren(message, errorBox(error)));
          });
          const live = token.revokedAt === null && (token.expiresAt === null || token.expiresAt > now);
          return h(
            'tr',
            { 'data-testid': 'token-row', 'data-token-id': token.id },
            h('td', { class: 'mono' }, token.id),
            h('td', null, token.perm),
            h('td', null, token.description || muted('—')),
            h('td', null, relativeTime(iso(token.createdAt), now)),
            h('td', null, tokenState(token, now)),
            h('td', null, live ? revoke : null),
          );
        }),
      ),
    );
    replaceChildren(list, scrollTable(table));
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    create.disabled = true;
    api
      .post<{ id: string; token: string }>('/api/v1/tokens', {
        cache,
        perm: perm.value,
        ...(description.value.trim() && { description: description.value.trim() }),
      })
      .then(async (created) => {
        description.value = '';
        replaceChildren(
          message,
          h(
            'div',
            { class: 'notice', role: 'status' },
            'New token (shown once): ',
            h(
              'div',
              { class: 'copy-row' },
              h('code', { 'data-testid': 'new-token' }, created.token),
              copyButton(created.token),
            ),
          ),
        );
        await load();
      })
      .catch((error: unknown) => replaceChildren(message, errorBox(error)))
      .finally(() => (create.disabled = false));
  });

  void load().catch((error: unknown) => replaceChildren(list, errorBox(error)));
  panel.append(h('h3', null, 'Tokens'), message, form, list);
  return panel;
}

function historyCharts(history: CacheHistoryResponse): HTMLElement {
  const labels = history.buckets.map((bucket) => bucketLabel(bucket.start, history.bucketMs));
  return h(
    'div',
    { class: 'charts' },
    chart({
      title: 'Hit rate',
      kind: 'line',
      labels,
      series: [
        {
          name: 'narinfo hits',
          values: history.buckets.map((b) => (b.hitRate === null ? null : b.hitRate * 100)),
        },
      ],
      format: (value) => `${Math.round(value)} %`,
      fixedMax: 100,
      emptyText: 'No lookups in this range.',
    }),
    chart({
      title: 'Traffic',
      kind: 'bars',
      labels,
      series: [
        { name: 'served', values: history.buckets.map((b) => b.narBytesServed) },
        { name: 'uploaded', values: history.buckets.map((b) => b.uploadBytes) },
      ],
      format: (value) => formatBytes(value),
      emptyText: 'No traffic in this range.',
    }),
  );
}

function cacheCard(api: ApiClient, cache: CacheRecord, range: RangeId): HTMLElement {
  const figures = h('div', null, muted('Loading…'));
  const charts = h('div');
  const card = h(
    'article',
    { class: 'cache-card', 'data-testid': 'cache-card', 'data-cache': cache.name },
    h(
      'h2',
      null,
      cache.name,
      ' ',
      cache.private ? h('span', { class: 'badge' }, 'private') : h('span', { class: 'badge' }, 'public'),
    ),
    figures,
    charts,
    tokensPanel(api, cache.name),
  );
  const substituter = `${location.origin}/cache/${cache.name}`;
  void api
    .get<CacheInfo>(`/api/v1/caches/${encodeURIComponent(cache.name)}`)
    .then((info) => {
      const lookups = info.counters.narinfoHits + info.counters.narinfoMisses;
      replaceChildren(
        figures,
        h(
          'div',
          { class: 'tiles' },
          tile('size (stored)', formatBytes(info.usage.fileBytes), 'cache-size'),
          tile('NAR size', formatBytes(info.usage.narBytes)),
          tile('objects', String(info.usage.objects), 'cache-objects'),
          tile(
            'hit rate',
            lookups === 0 ? '—' : percent((100 * info.counters.narinfoHits) / lookups),
            'cache-hit-rate',
          ),
          tile('served', `${formatBytes(info.counters.narBytesServed)} · ${info.counters.narsServed} NARs`),
          tile('uploads', `${info.counters.uploads} · ${formatBytes(info.counters.uploadBytes)}`),
          tile('pins', String(info.usage.pins)),
        ),
        keyValues([
          [
            'substituter',
            h('div', { class: 'copy-row' }, h('code', null, substituter), copyButton(substituter)),
          ],
          ['public keys', h('span', { class: 'mono wrap-anywhere' }, info.trustedPublicKeys.join(' '))],
          ['retention', info.retentionDays === null ? 'keep forever' : `${info.retentionDays} days`],
          ['priority', String(info.priority)],
        ]),
      );
    })
    .catch((error: unknown) => replaceChildren(figures, errorBox(error)));
  const loadHistory = (chosen: RangeId): void => {
    const spec = RANGES.find((entry) => entry.id === chosen) ?? RANGES[0];
    void api
      .get<CacheHistoryResponse>(
        `/api/v1/caches/${encodeURIComponent(cache.name)}/history?since=${spec.id}&buckets=${spec.buckets}`,
      )
      .then((history) => replaceChildren(charts, historyCharts(history)))
      .catch((error: unknown) => replaceChildren(charts, errorBox(error)));
  };
  loadHistory(range);
  card.addEventListener('kiln-range', (event) => loadHistory((event as CustomEvent<RangeId>).detail));
  return card;
}

/** `/caches`: each cache's size, objects, hit rate over time, traffic and tokens. */
export const cachesPage: Page = {
  title: 'Caches',
  render(root, ctx) {
    pageStyles();
    let range = rangeFromQuery(ctx.query, '24h');
    const message = h('div');
    const list = h('div', { class: 'card-list' }, muted('Loading…'));
    const selector = rangeSelector(range, (chosen) => {
      range = chosen;
      history.replaceState(null, '', `/caches?range=${chosen}`);
      for (const card of list.querySelectorAll('.cache-card')) {
        card.dispatchEvent(new CustomEvent<RangeId>('kiln-range', { detail: chosen }));
      }
    });
    replaceChildren(
      root,
      h(
        'div',
        { 'data-testid': 'caches-page' },
        h('div', { class: 'page-head' }, h('h1', null, 'Caches'), selector),
        message,
        list,
      ),
    );
    ctx.api
      .get<{ caches: CacheRecord[] }>('/api/v1/caches')
      .then(({ caches }) => {
        if (caches.length === 0) {
          replaceChildren(
            list,
            h(
              'div',
              { class: 'empty muted' },
              'No caches yet. Create one with ',
              h('code', null, 'kiln cache create NAME'),
              '.',
            ),
          );
          return;
        }
        replaceChildren(list, ...caches.map((cache) => cacheCard(ctx.api, cache, range)));
      })
      .catch((error: unknown) => replaceChildren(message, errorBox(error)));
  },
};
