import {
  buildBranch,
  commitText,
  filtersFromQuery,
  filtersToQuery,
  insertionIndex,
  listApiPath,
  matchesFilters,
  triggerText,
  whatText,
  type BuildFilters,
} from '../build-list.js';
import { errorBox, h, link, relativeTime, replaceChildren, setLocation, statusBadge } from '../dom.js';
import { elapsedMs, formatDuration } from '../format.js';
import { followBuildEvents } from '../live.js';
import type { Page, PageContext } from '../page.js';
import { BUILD_STATUSES, type BuildView, type ListBuildsResponse } from '../types.js';

const PAGE_SIZE = 50;

/** `/`: every build, newest first, updated live from /api/v1/events, with filters in the URL. */
export const buildsPage: Page = {
  title: 'Builds',
  render(root, ctx) {
    const stop = new AbortController();
    let filters = filtersFromQuery(ctx.query);
    let builds: BuildView[] = [];
    let nextBefore: number | null = null;
    const rows = new Map<string, HTMLTableRowElement>();

    const tbody = h('tbody');
    const table = h(
      'table',
      { class: 'table builds', 'data-testid': 'builds-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ...[
            'Status',
            'Build',
            'Project',
            'Branch',
            'Commit',
            'System / attribute',
            'Duration',
            'Created',
            'Trigger',
          ].map((title) => h('th', { scope: 'col' }, title)),
        ),
      ),
      tbody,
    );
    const empty = h('div', { class: 'empty muted', hidden: true }, 'No builds yet.');
    const message = h('div');
    const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Older builds');
    const liveDot = h('span', { class: 'live-dot', title: 'connecting…' });

    // Filters.
    const statusSelect = h(
      'select',
      { 'aria-label': 'Status', name: 'status' },
      h('option', { value: '' }, 'All statuses'),
      ...BUILD_STATUSES.map((s) => h('option', { value: s }, s.replace(/_/g, ' '))),
    );
    statusSelect.value = filters.status.length === 1 ? (filters.status[0] ?? '') : '';
    const projectInput = h('input', {
      type: 'search',
      name: 'project',
      placeholder: 'Project',
      'aria-label': 'Project',
      list: 'project-names',
      value: filters.projectId,
    });
    const projectNames = h('datalist', { id: 'project-names' });
    const branchInput = h('input', {
      type: 'search',
      name: 'branch',
      placeholder: 'Branch',
      'aria-label': 'Branch',
      value: filters.branch,
    });
    const applyFilters = (): void => {
      const next: BuildFilters = {
        status: statusSelect.value ? [statusSelect.value as BuildView['status']] : [],
        projectId: projectInput.value.trim(),
        branch: branchInput.value.trim(),
      };
      if (filtersToQuery(next) === filtersToQuery(filters)) return;
      filters = next;
      // The page keeps its inputs; the URL records the filters (shareable, back button).
      setLocation(`/${filtersToQuery(filters)}`);
      void reload();
    };
    statusSelect.addEventListener('change', applyFilters);
    for (const input of [projectInput, branchInput]) {
      input.addEventListener('change', applyFilters);
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') applyFilters();
      });
    }

    const renderRow = (build: BuildView): HTMLTableRowElement => {
      const commit = commitText(build);
      const elapsed = elapsedMs(build);
      const badge = statusBadge(build.status);
      badge.setAttribute('data-testid', 'build-status');
      // Cells without a value are marked, so the phone layout (one card per build) can skip them.
      const cell = (label: string, ...children: (Node | string | null)[]): HTMLTableCellElement => {
        const td = h('td', { 'data-label': label }, ...children);
        if (td.textContent === '—') td.classList.add('empty-cell');
        return td;
      };
      const row = h(
        'tr',
        { 'data-testid': 'build-row', 'data-build-id': build.id, class: `status-row-${build.status}` },
        cell('Status', badge),
        cell('Build', link(`/builds/${encodeURIComponent(build.id)}`, { class: 'mono build-id' }, build.id)),
        cell('Project', build.projectId ?? h('span', { class: 'muted' }, '—')),
        cell('Branch', buildBranch(build) ?? h('span', { class: 'muted' }, '—')),
        cell(
          'Commit',
          commit
            ? h(
                'span',
                { class: 'commit' },
                h('code', { class: 'sha' }, commit.sha),
                ' ',
                h('span', { class: 'subject', title: commit.subject }, commit.subject),
              )
            : h('span', { class: 'muted' }, '—'),
        ),
        cell('What', h('span', { class: 'mono small' }, whatText(build) || '—')),
        cell('Duration', h('span', { class: 'duration' }, elapsed === null ? '—' : formatDuration(elapsed))),
        cell(
          'Created',
          h(
            'time',
            { class: 'created', datetime: build.createdAt, title: build.createdAt },
            relativeTime(build.createdAt),
          ),
        ),
        cell(
          'Trigger',
          build.trigger
            ? h(
                'span',
                { class: 'trigger', title: triggerText(build.trigger) },
                build.trigger.kind,
                build.trigger.actor
                  ? h('span', { class: 'muted actor' }, `\u00a0· ${build.trigger.actor}`)
                  : null,
              )
            : '—',
        ),
      );
      return row;
    };

    const showAll = (): void => {
      rows.clear();
      tbody.replaceChildren(
        ...builds.map((b) => {
          const row = renderRow(b);
          rows.set(b.id, row);
          return row;
        }),
      );
      empty.hidden = builds.length > 0;
      more.hidden = nextBefore === null;
    };

    /** A live update: replace the row, insert a new build where it belongs, or drop it. */
    const upsert = (build: BuildView): void => {
      const index = builds.findIndex((b) => b.id === build.id);
      const belongs = matchesFilters(build, filters);
      if (index >= 0) {
        const old = rows.get(build.id);
        if (!belongs) {
          builds.splice(index, 1);
          old?.remove();
          rows.delete(build.id);
        } else {
          builds[index] = build;
          const row = renderRow(build);
          old?.replaceWith(row);
          rows.set(build.id, row);
        }
      } else if (belongs) {
        const at = insertionIndex(builds, build, nextBefore !== null);
        if (at < 0) return;
        const row = renderRow(build);
        const before = builds[at];
        const beforeRow = before ? rows.get(before.id) : undefined;
        if (beforeRow) tbody.insertBefore(row, beforeRow);
        else tbody.appendChild(row);
        builds.splice(at, 0, build);
        rows.set(build.id, row);
      }
      empty.hidden = builds.length > 0;
    };

    let loading = 0;
    const reload = async (): Promise<void> => {
      const ticket = ++loading;
      try {
        const page = await ctx.api.get<ListBuildsResponse>(listApiPath(filters, PAGE_SIZE));
        if (ticket !== loading || stop.signal.aborted) return;
        builds = page.builds;
        nextBefore = page.nextBefore;
        replaceChildren(message);
        showAll();
      } catch (error) {
        if (ticket === loading) replaceChildren(message, errorBox(error));
      }
    };
    more.addEventListener('click', () => {
      if (nextBefore === null) return;
      more.disabled = true;
      ctx.api
        .get<ListBuildsResponse>(listApiPath(filters, PAGE_SIZE, nextBefore))
        .then((page) => {
          const known = new Set(builds.map((b) => b.id));
          const older = page.builds.filter((b) => !known.has(b.id));
          builds.push(...older);
          for (const b of older) {
            const row = renderRow(b);
            rows.set(b.id, row);
            tbody.appendChild(row);
          }
          nextBefore = page.nextBefore;
          more.hidden = nextBefore === null;
        })
        .catch((error: unknown) => replaceChildren(message, errorBox(error)))
        .finally(() => (more.disabled = false));
    });

    replaceChildren(
      root,
      h(
        'div',
        { class: 'page-head' },
        h('h1', null, 'Builds ', liveDot),
        h('div', { class: 'filters' }, statusSelect, projectInput, projectNames, branchInput),
      ),
      message,
      h('div', { class: 'table-wrap' }, table),
      empty,
      h('div', { class: 'pager' }, more),
    );

    // Live: every status change of every build; a reconnect reloads the first page (missed events).
    followBuildEvents(ctx.api, liveDot, reload, upsert, stop.signal);
    void reload();
    void loadProjects(ctx, projectNames);

    // Durations of running builds and relative times tick; a slow full refresh guards against lost hints.
    const tick = setInterval(() => {
      const now = Date.now();
      for (const build of builds) {
        const row = rows.get(build.id);
        if (!row) continue;
        if (build.status === 'running') {
          const elapsed = elapsedMs(build, now);
          const cell = row.querySelector('.duration');
          if (cell && elapsed !== null) cell.textContent = formatDuration(elapsed);
        }
        const created = row.querySelector('.created');
        if (created) created.textContent = relativeTime(build.createdAt, now);
      }
    }, 1000);
    const refresh = setInterval(() => {
      if (document.visibilityState === 'visible' && builds.length <= PAGE_SIZE) void reload();
    }, 60_000);

    return () => {
      stop.abort();
      clearInterval(tick);
      clearInterval(refresh);
    };
  },
};

/** Project names for the filter's suggestions (the projects API may be absent: then none). */
async function loadProjects(ctx: PageContext, list: HTMLDataListElement): Promise<void> {
  try {
    const answer = await ctx.api.get<{ projects?: { name: string }[] } | { name: string }[]>(
      '/api/v1/projects',
    );
    const projects = Array.isArray(answer) ? answer : (answer.projects ?? []);
    replaceChildren(list, ...projects.map((p) => h('option', { value: p.name })));
  } catch {
    // No projects API yet, or not allowed: the filter still takes a typed name.
  }
}
