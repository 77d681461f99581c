import { errorBox, h, link, relativeTime, replaceChildren, statusBadge } from '../dom.js';
import { elapsedMs, formatDuration, shortSha } from '../format.js';
import {
  CELL_ORDER,
  cellKey,
  cellStatus,
  countCells,
  evaluationBuild,
  groupStatus,
  groupTimes,
  matrixGrid,
} from '../group-model.js';
import { followBuildEvents } from '../live.js';
import type { Page } from '../page.js';
import type { BuildView } from '../types.js';
import { keyValues, muted, pageStyles, scrollTable, section, tile } from './widgets.js';

/** GET /api/v1/groups/:id (what this page uses of it): every build of the group, oldest first. */
interface GroupResponse {
  id: string;
  builds: BuildView[];
}

async function loadGroup(api: { get<T>(path: string): Promise<T> }, id: string): Promise<BuildView[]> {
  return (await api.get<GroupResponse>(`/api/v1/groups/${encodeURIComponent(id)}`)).builds;
}

function buildLink(build: BuildView, ...children: (Node | string)[]): HTMLAnchorElement {
  return link(`/builds/${encodeURIComponent(build.id)}`, { class: 'cell-link' }, ...children);
}

function durationText(build: BuildView, now: number): string {
  const elapsed = elapsedMs(build, now);
  return elapsed === null ? '' : formatDuration(elapsed);
}

/** `/groups/:id`: a matrix run (its evaluation and one build per derivation) or a multi-system group. */
export const groupPage: Page = {
  title: 'Group',
  render(root, ctx) {
    pageStyles();
    const id = ctx.params.id ?? '';
    const stop = new AbortController();
    const builds = new Map<string, BuildView>();
    const liveDot = h('span', { class: 'live-dot', title: 'connecting…' });
    const message = h('div');
    const body = h('div');
    const page = h(
      'div',
      { 'data-testid': 'group-page', class: 'group-page' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', { class: 'wrap-anywhere' }, 'Group ', h('code', null, id), ' ', liveDot),
      ),
      message,
      body,
    );
    replaceChildren(root, page);
    const cancel = h(
      'button',
      { type: 'button', class: 'btn danger', 'data-testid': 'cancel-group', hidden: true },
      'Cancel group',
    );
    cancel.addEventListener('click', () => {
      if (!confirm('Cancel every unfinished build of this group?')) return;
      cancel.disabled = true;
      ctx.api
        .post(`/api/v1/groups/${encodeURIComponent(id)}/cancel`)
        .then(() => replaceChildren(message))
        .catch((error: unknown) => replaceChildren(message, errorBox(error)))
        .finally(() => (cancel.disabled = false));
    });

    const draw = (): void => {
      const now = Date.now();
      const all = [...builds.values()];
      if (all.length === 0) {
        replaceChildren(body, muted('No builds in this group (yet).'));
        return;
      }
      const evaluation = evaluationBuild(all);
      const children = all.filter((build) => build !== evaluation);
      const status = groupStatus(all);
      const counts = countCells(children);
      const times = groupTimes(all, now);
      const grid = matrixGrid(children);

      const overall = statusBadge(status);
      overall.setAttribute('data-testid', 'group-status');
      const summary = h(
        'div',
        { class: 'tiles' },
        tile('status', overall),
        tile('builds', String(children.length), 'group-total'),
        ...CELL_ORDER.filter((state) => counts[state] > 0).map((state) =>
          tile(state.replace(/_/g, ' '), String(counts[state]), `group-count-${state}`),
        ),
        tile('wall time', times.wallMs === null ? '—' : formatDuration(times.wallMs)),
        tile('build time', formatDuration(times.buildMs)),
      );

      const table = h(
        'table',
        { class: 'table matrix', 'data-testid': 'matrix' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Attribute'),
            ...grid.columns.map((column) => h('th', { scope: 'col' }, column)),
          ),
        ),
        h(
          'tbody',
          null,
          ...grid.rows.map((row) =>
            h(
              'tr',
              null,
              h('td', { class: 'mono matrix-attr' }, h('strong', null, row)),
              ...grid.columns.map((column) => {
                const [build, ...older] = grid.cells.get(cellKey(row, column)) ?? [];
                if (!build) return h('td', null, muted('—'));
                const state = cellStatus(build);
                return h(
                  'td',
                  {
                    'data-testid': 'matrix-cell',
                    'data-status': state,
                    'data-build-id': build.id,
                    'data-attr': build.attrPath ?? row,
                    'data-system': column,
                  },
                  buildLink(
                    build,
                    statusBadge(state),
                    h('span', { class: 'muted small' }, durationText(build, now)),
                  ),
                  older.length > 0 ? h('span', { class: 'muted small' }, ` +${older.length}`) : null,
                );
              }),
            ),
          ),
        ),
      );

      const source = evaluation?.source ?? all[0]?.source;
      const commit = (evaluation ?? all[0])?.commit ?? null;
      cancel.hidden = !all.some((build) => build.status === 'pending' || build.status === 'running');
      replaceChildren(
        body,
        summary,
        h('div', { class: 'inline-form' }, cancel),
        section(
          'Run',
          keyValues([
            [
              'evaluation',
              evaluation
                ? h(
                    'span',
                    null,
                    buildLink(
                      evaluation,
                      statusBadge(evaluation.status),
                      ' ',
                      h('code', null, evaluation.id),
                    ),
                  )
                : muted('none (a multi-system build)'),
            ],
            [
              'project',
              (evaluation ?? all[0])?.projectId
                ? link(
                    `/projects/${encodeURIComponent((evaluation ?? all[0])?.projectId ?? '')}`,
                    null,
                    (evaluation ?? all[0])?.projectId ?? '',
                  )
                : muted('—'),
            ],
            [
              'source',
              h(
                'span',
                { class: 'wrap-anywhere mono' },
                source?.url ?? source?.name ?? source?.kind ?? '—',
                source?.ref ? ` @ ${source.ref}` : '',
              ),
            ],
            [
              'commit',
              commit
                ? h('span', null, h('code', null, shortSha(commit.sha)), ' ', commit.subject)
                : muted('—'),
            ],
            [
              'outputs',
              source?.matrix
                ? `${source.matrix.attrs.length > 0 ? source.matrix.attrs.join(', ') : source.matrix.sets.join(', ')} for ${source.matrix.systems.join(', ')}`
                : muted('—'),
            ],
            [
              'started',
              h('time', { datetime: oldest(all)?.createdAt ?? '' }, relativeTime(oldest(all)?.createdAt)),
            ],
          ]),
        ),
        section(
          'Builds',
          children.length === 0
            ? muted(
                evaluation?.status === 'running' || evaluation?.status === 'pending'
                  ? 'Evaluating…'
                  : 'No child builds.',
              )
            : scrollTable(table),
        ),
      );
    };

    let scheduled = false;
    const redraw = (): void => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        if (!stop.signal.aborted) draw();
      });
    };

    const reload = async (): Promise<void> => {
      try {
        const loaded = await loadGroup(ctx.api, id);
        if (stop.signal.aborted) return;
        builds.clear();
        for (const build of loaded) builds.set(build.id, build);
        replaceChildren(message);
        draw();
      } catch (error) {
        replaceChildren(message, errorBox(error));
      }
    };

    followBuildEvents(
      ctx.api,
      liveDot,
      reload,
      (build) => {
        if (build.groupId !== id && build.id !== id) return;
        builds.set(build.id, build);
        redraw();
      },
      stop.signal,
    );
    void reload();
    // Durations of running builds tick.
    const tick = setInterval(() => {
      if ([...builds.values()].some((build) => build.status === 'running' || build.status === 'pending'))
        redraw();
    }, 2000);
    return () => {
      stop.abort();
      clearInterval(tick);
    };
  },
};

function oldest(builds: readonly BuildView[]): BuildView | undefined {
  return builds.reduce<BuildView | undefined>(
    (first, build) => (!first || build.createdAt < first.createdAt ? build : first),
    undefined,
  );
}
