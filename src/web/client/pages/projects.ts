import { errorBox, h, link, relativeTime, replaceChildren, statusBadge } from '../dom.js';
import { elapsedMs, formatDuration, shortSha } from '../format.js';
import { follow } from '../live.js';
import type { Page } from '../page.js';
import type { BuildView, ListBuildsResponse } from '../types.js';
import { copyButton, headRow, keyValues, muted, pageStyles, scrollTable, section } from './widgets.js';

/** GET /api/v1/projects/:name (and each entry of GET /api/v1/projects). */
export interface ProjectView {
  name: string;
  repoUrl: string;
  branches: string[];
  tags: string[];
  build:
    | { kind: 'flake'; outputs: string[] }
    | { kind: 'attrs'; attrs: string[] }
    | { kind: 'template'; name: string; values: Record<string, string> };
  systems: string[];
  pushCache: string | null;
  imageRepo: string | null;
  deployHook: string | null;
  concurrency: { group: string; mode: 'replace' | 'queue'; cancelInProgress: boolean };
  notify: { url: string | null; commitStatus: { forge: string; apiUrl: string } | null };
  timeoutSeconds: number | null;
  hasToken: boolean;
  hasSshKey: boolean;
  hasWebhookSecret: boolean;
  hasNotifySecret: boolean;
  hasStatusToken: boolean;
  webhookPath: string;
  createdAt: string;
  updatedAt: string;
}

const RECENT_BUILDS = 30;

const projectPath = (name: string): string => `/api/v1/projects/${encodeURIComponent(name)}`;

/** What the project builds, in a few words. */
export function buildText(build: ProjectView['build']): string {
  switch (build.kind) {
    case 'flake':
      return `flake: ${build.outputs.length > 0 ? build.outputs.join(', ') : 'packages, checks, devShells'}`;
    case 'attrs':
      return `attributes: ${build.attrs.join(', ')}`;
    case 'template':
      return `template ${build.name}`;
  }
}

/** Branch patterns without glob characters: the branches a "build now" can offer by name. */
export function plainBranches(patterns: readonly string[]): string[] {
  return patterns.filter((pattern) => !/[*?[\]{}]/.test(pattern));
}

function list(values: readonly string[], none = 'none'): Node {
  return values.length === 0 ? muted(none) : h('span', { class: 'mono wrap-anywhere' }, values.join(', '));
}

function orNone(value: string | null, none = 'none'): Node {
  return value === null ? muted(none) : h('span', { class: 'mono wrap-anywhere' }, value);
}

/** `/projects`: every project, linking to its page. */
export const projectsPage: Page = {
  title: 'Projects',
  render(root, ctx) {
    pageStyles();
    const message = h('div');
    const content = h('div', null, muted('Loading…'));
    replaceChildren(
      root,
      h(
        'div',
        { 'data-testid': 'projects-page' },
        h('div', { class: 'page-head' }, h('h1', null, 'Projects')),
        message,
        content,
      ),
    );
    void ctx.api
      .get<{ projects: ProjectView[] }>('/api/v1/projects')
      .then(({ projects }) => {
        if (projects.length === 0) {
          replaceChildren(
            content,
            h(
              'div',
              { class: 'empty muted' },
              'No projects yet. Add one with ',
              h('code', null, 'kiln project add NAME --repo URL'),
              ' and point a forge webhook at it.',
            ),
          );
          return;
        }
        const table = h(
          'table',
          { class: 'table', 'data-testid': 'projects-table' },
          headRow('Project', 'Repository', 'Branches', 'Builds', 'Systems', 'Cache', 'Updated'),
          h(
            'tbody',
            null,
            ...projects.map((project) =>
              h(
                'tr',
                { 'data-testid': 'project-row', 'data-project': project.name },
                h(
                  'td',
                  null,
                  link(`/projects/${encodeURIComponent(project.name)}`, { class: 'mono' }, project.name),
                ),
                h('td', { class: 'mono wrap-anywhere' }, project.repoUrl),
                h('td', null, list(project.branches)),
                h('td', null, buildText(project.build)),
                h('td', null, list(project.systems, 'host')),
                h('td', null, orNone(project.pushCache)),
                h('td', null, relativeTime(project.updatedAt)),
              ),
            ),
          ),
        );
        replaceChildren(content, scrollTable(table));
      })
      .catch((error: unknown) => replaceChildren(message, errorBox(error)));
  },
};

function recentBuildsTable(builds: readonly BuildView[]): HTMLElement {
  const now = Date.now();
  const table = h(
    'table',
    { class: 'table', 'data-testid': 'project-builds' },
    headRow('Status', 'Build', 'Branch', 'Commit', 'What', 'Group', 'Duration', 'Created'),
    h(
      'tbody',
      null,
      ...builds.map((build) => {
        const elapsed = elapsedMs(build, now);
        return h(
          'tr',
          { 'data-testid': 'build-row', 'data-build-id': build.id },
          h('td', null, statusBadge(build.status === 'succeeded' && build.cached ? 'cached' : build.status)),
          h('td', null, link(`/builds/${encodeURIComponent(build.id)}`, { class: 'mono' }, build.id)),
          h('td', null, build.commit?.branch ?? build.source.ref ?? '—'),
          h(
            'td',
            null,
            build.commit ? h('code', { title: build.commit.subject }, shortSha(build.commit.sha)) : '—',
          ),
          h(
            'td',
            { class: 'mono' },
            build.source.matrix ? 'evaluation' : (build.attrPath ?? build.system ?? '—'),
          ),
          h(
            'td',
            null,
            build.groupId
              ? link(`/groups/${encodeURIComponent(build.groupId)}`, { 'data-testid': 'group-link' }, 'group')
              : muted('—'),
          ),
          h('td', null, elapsed === null ? '—' : formatDuration(elapsed)),
          h('td', null, relativeTime(build.createdAt, now)),
        );
      }),
    ),
  );
  return scrollTable(table);
}

/** `/projects/:name`: settings, the webhook URL for the forge, recent builds, build now, delete. */
export const projectPage: Page = {
  title: 'Project',
  render(root, ctx) {
    pageStyles();
    const name = ctx.params.name ?? '';
    const stop = new AbortController();
    const message = h('div');
    const settings = h('div', null, muted('Loading…'));
    const actions = h('div', { class: 'inline-form' });
    const recent = h('div', null, muted('Loading…'));
    let builds: BuildView[] = [];
    replaceChildren(
      root,
      h(
        'div',
        { 'data-testid': 'project-page' },
        h(
          'div',
          { class: 'page-head' },
          h('h1', { class: 'wrap-anywhere' }, link('/projects', null, 'Projects'), ' / ', name),
        ),
        message,
        actions,
        settings,
        section('Recent builds', recent),
      ),
    );

    const showBuilds = (): void => {
      replaceChildren(recent, builds.length === 0 ? muted('No builds yet.') : recentBuildsTable(builds));
    };
    const loadBuilds = async (): Promise<void> => {
      const query = new URLSearchParams({ projectId: name, limit: String(RECENT_BUILDS) });
      const page = await ctx.api.get<ListBuildsResponse>(`/api/v1/builds?${query}`);
      if (stop.signal.aborted) return;
      builds = page.builds;
      showBuilds();
    };

    const showProject = (project: ProjectView): void => {
      const webhookUrl = `${location.origin}${project.webhookPath}`;
      const branchInput = h('input', {
        type: 'text',
        name: 'branch',
        placeholder: 'branch',
        title: 'Branch to build (default: the first listed)',
        'aria-label': 'Branch',
        list: 'project-branches',
        'data-testid': 'build-branch',
      });
      const branchList = h(
        'datalist',
        { id: 'project-branches' },
        ...plainBranches(project.branches).map((branch) => h('option', { value: branch })),
      );
      const buildNow = h(
        'button',
        { type: 'button', class: 'btn primary', 'data-testid': 'build-now' },
        'Build now',
      );
      buildNow.addEventListener('click', () => {
        buildNow.disabled = true;
        const branch = branchInput.value.trim();
        ctx.api
          .post<{ builds: BuildView[] }>(`${projectPath(name)}/builds`, branch ? { branch } : {})
          .then(({ builds: started }) => {
            replaceChildren(message);
            const first = started[0];
            if (first?.groupId) ctx.navigate(`/groups/${encodeURIComponent(first.groupId)}`);
            else if (first) ctx.navigate(`/builds/${encodeURIComponent(first.id)}`);
            else void loadBuilds();
          })
          .catch((error: unknown) => replaceChildren(message, errorBox(error)))
          .finally(() => (buildNow.disabled = false));
      });
      const remove = h(
        'button',
        { type: 'button', class: 'btn danger', 'data-testid': 'delete-project' },
        'Delete',
      );
      remove.addEventListener('click', () => {
        if (!confirm(`Delete project ${name}? Its builds stay.`)) return;
        ctx.api
          .delete(projectPath(name))
          .then(() => ctx.navigate('/projects'))
          .catch((error: unknown) => replaceChildren(message, errorBox(error)));
      });
      replaceChildren(actions, branchInput, branchList, buildNow, remove);

      const credential = (present: boolean, what: string): Node =>
        present ? h('span', null, `${what} set`) : muted(`no ${what}`);
      replaceChildren(
        settings,
        section(
          'Webhook',
          h(
            'p',
            { class: 'muted' },
            'Paste this URL into the forge (GitHub, GitLab or Gitea) as a push webhook, with the project\u2019s webhook secret.',
          ),
          h(
            'div',
            { class: 'copy-row' },
            h('code', { 'data-testid': 'webhook-url' }, webhookUrl),
            copyButton(webhookUrl),
          ),
          project.hasWebhookSecret
            ? null
            : h('p', { class: 'error-box' }, 'No webhook secret: deliveries are refused.'),
        ),
        section(
          'Settings',
          keyValues([
            ['repository', h('span', { class: 'mono wrap-anywhere' }, project.repoUrl)],
            ['branches', list(project.branches, 'none (pushes do not build)')],
            ['tags', list(project.tags, 'none')],
            ['builds', buildText(project.build)],
            ['systems', list(project.systems, 'the host system')],
            ['push cache', orNone(project.pushCache)],
            ['image', orNone(project.imageRepo)],
            ['deploy hook', orNone(project.deployHook)],
            [
              'concurrency',
              h(
                'span',
                null,
                h('code', null, project.concurrency.group),
                ` · ${project.concurrency.mode}`,
                project.concurrency.cancelInProgress ? ' · cancels in progress' : '',
              ),
            ],
            ['notify', orNone(project.notify.url)],
            [
              'commit status',
              project.notify.commitStatus
                ? h(
                    'span',
                    { class: 'wrap-anywhere' },
                    `${project.notify.commitStatus.forge} at ${project.notify.commitStatus.apiUrl}`,
                  )
                : muted('off'),
            ],
            [
              'timeout',
              project.timeoutSeconds === null
                ? muted('default')
                : formatDuration(project.timeoutSeconds * 1000),
            ],
            [
              'credentials',
              h(
                'span',
                null,
                credential(project.hasToken, 'token'),
                ' · ',
                credential(project.hasSshKey, 'SSH key'),
                ' · ',
                credential(project.hasNotifySecret, 'notify secret'),
                ' · ',
                credential(project.hasStatusToken, 'status token'),
              ),
            ],
            ['created', relativeTime(project.createdAt)],
            ['updated', relativeTime(project.updatedAt)],
          ]),
        ),
      );
    };

    ctx.api
      .get<ProjectView>(projectPath(name))
      .then(showProject)
      .catch((error: unknown) => {
        replaceChildren(settings);
        replaceChildren(message, errorBox(error));
      });
    void loadBuilds().catch((error: unknown) => replaceChildren(recent, errorBox(error)));

    // Live: the project's builds change status; new ones appear at the top.
    follow(
      ctx.api,
      () => '/api/v1/events',
      {
        onEvent: (event, data) => {
          if (event !== 'build') return;
          const build = JSON.parse(data) as BuildView;
          if (build.projectId !== name) return;
          const index = builds.findIndex((known) => known.id === build.id);
          if (index >= 0) builds[index] = build;
          else builds = [build, ...builds].slice(0, RECENT_BUILDS);
          showBuilds();
        },
      },
      stop.signal,
    );
    return () => stop.abort();
  },
};
