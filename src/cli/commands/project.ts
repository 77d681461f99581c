import { resolve } from 'node:path';
import type { BuildView, CreateProjectBody, ProjectView, UpdateProjectBody } from '../../api/index.js';
import type { ProjectPlan } from '../args/index.js';
import type { ProjectSettings } from '../args/project.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { renderTable } from '../render/table.js';
import { readSecretFile } from './build.js';
import { reportRun } from './project-run.js';

const projectPath = (name: string): string => `/api/v1/projects/${encodeURIComponent(name)}`;

/** What add and edit answer: the project, and any secret the server generated (shown once). */
interface SavedProject {
  project: ProjectView;
  webhookSecret?: string;
  notifySecret?: string;
}

/** `kiln project`: Git repositories the server builds on push (and on demand). */
export async function runProject(plan: ProjectPlan, io: CliIo): Promise<number> {
  const client = connect(plan.client, io);
  const print = (value: unknown, lines: () => string[]): void => {
    if (plan.json) writeJson(io.stdout, value);
    else for (const line of lines()) writeLine(io.stdout, line);
  };
  switch (plan.action) {
    case 'add':
    case 'edit': {
      const body = settingsBody(plan.settings, io.cwd ?? process.cwd());
      const saved =
        plan.action === 'add'
          ? await client.call<SavedProject>('POST', '/api/v1/projects', {
              name: plan.name,
              ...body,
            } satisfies CreateProjectBody)
          : await client.call<SavedProject>('PUT', projectPath(plan.name), body);
      print(saved, () => [
        `${plan.action === 'add' ? 'added' : 'changed'} project ${saved.project.name}`,
        ...projectLines(saved.project, client.server),
        ...generatedSecretLines(saved),
      ]);
      return 0;
    }
    case 'list': {
      const { projects } = await client.call<{ projects: ProjectView[] }>('GET', '/api/v1/projects');
      print({ projects }, () => (projects.length === 0 ? ['no projects'] : [projectTable(projects)]));
      return 0;
    }
    case 'show': {
      const project = await client.call<ProjectView>('GET', projectPath(plan.name));
      print(project, () => projectLines(project, client.server));
      return 0;
    }
    case 'remove': {
      await client.call<undefined>('DELETE', projectPath(plan.name));
      print({ name: plan.name, removed: true }, () => [`removed project ${plan.name} (its builds stay)`]);
      return 0;
    }
    case 'build': {
      const body = {
        ...(plan.ref !== undefined && plan.ref),
        ...(plan.commit !== undefined && { commit: plan.commit }),
      };
      const { builds } = await client.call<{ builds: BuildView[] }>(
        'POST',
        `${projectPath(plan.name)}/builds`,
        body,
      );
      return reportRun(builds, { mode: plan.mode, json: plan.json }, client, io);
    }
  }
}

/**
 * The request body of add and edit: only what was given (the server keeps or defaults the rest),
 * `--unset` as null or "" (a removed secret), secrets read from their files here so that they
 * travel in the request body and never on a command line.
 */
export function settingsBody(settings: ProjectSettings, cwd: string): UpdateProjectBody {
  const s = settings;
  const unset = new Set(s.unset);
  const secret = (file: string | undefined): string | undefined =>
    file === undefined ? undefined : readSecretFile(resolve(cwd, file)).trim();
  const orNull = <T>(value: T | undefined, name: (typeof s.unset)[number]): T | null | undefined =>
    unset.has(name) ? null : value;
  const body: UpdateProjectBody = {};
  if (s.repoUrl !== undefined) body.repoUrl = s.repoUrl;
  if (s.branches !== undefined) body.branches = s.branches;
  if (s.tags !== undefined) body.tags = s.tags;
  if (s.build !== undefined) body.build = s.build;
  if (s.systems !== undefined) body.systems = s.systems;
  const pushCache = orNull(s.pushCache, 'push');
  if (pushCache !== undefined) body.pushCache = pushCache;
  const imageRepo = orNull(s.imageRepo, 'image');
  if (imageRepo !== undefined) body.imageRepo = imageRepo;
  const deployHook = orNull(s.deployHook, 'deploy-hook');
  if (deployHook !== undefined) body.deployHook = deployHook;
  if (s.concurrency !== undefined) body.concurrency = s.concurrency;
  const notifyUrl = orNull(s.notifyUrl, 'notify-url');
  const commitStatus = orNull(s.commitStatus, 'commit-status');
  if (notifyUrl !== undefined || commitStatus !== undefined) {
    body.notify = {
      ...(notifyUrl !== undefined && { url: notifyUrl }),
      ...(commitStatus !== undefined && { commitStatus }),
    };
  }
  const timeoutSeconds = orNull(s.timeoutSeconds, 'timeout');
  if (timeoutSeconds !== undefined) body.timeoutSeconds = timeoutSeconds;
  // An SSH key keeps its exact bytes (a trailing newline matters to ssh); tokens are trimmed.
  const token = unset.has('git-token') ? '' : secret(s.tokenFile);
  const sshPrivateKey = unset.has('ssh-key')
    ? ''
    : s.sshKeyFile === undefined
      ? undefined
      : readSecretFile(resolve(cwd, s.sshKeyFile));
  if (token !== undefined || sshPrivateKey !== undefined) {
    body.credentials = {
      ...(token !== undefined && { token }),
      ...(sshPrivateKey !== undefined && { sshPrivateKey }),
    };
  }
  const webhookSecret = unset.has('webhook-secret') ? '' : secret(s.webhookSecretFile);
  if (webhookSecret !== undefined) body.webhookSecret = webhookSecret;
  const notifySecret = unset.has('notify-secret') ? '' : secret(s.notifySecretFile);
  if (notifySecret !== undefined) body.notifySecret = notifySecret;
  const statusToken = unset.has('status-token') ? '' : secret(s.statusTokenFile);
  if (statusToken !== undefined) body.statusToken = statusToken;
  return body;
}

/** What a project builds, in a few words: `flake packages,checks`, `attrs hello`, `template go`. */
export function buildLabel(build: ProjectView['build']): string {
  switch (build.kind) {
    case 'flake':
      return `flake ${build.outputs.join(',')}`;
    case 'attrs':
      return `attrs ${build.attrs.join(',')}`;
    case 'template': {
      const values = Object.entries(build.values).map(([key, value]) => `${key}=${value}`);
      return `template ${build.name}${values.length > 0 ? ` (${values.join(', ')})` : ''}`;
    }
  }
}

function concurrencyLabel(concurrency: ProjectView['concurrency']): string {
  const how =
    concurrency.mode === 'queue'
      ? 'queue'
      : concurrency.cancelInProgress
        ? 'replace, cancel in progress'
        : 'replace';
  return `${concurrency.group} (${how})`;
}

/** `kiln project list`: one row per project. */
export function projectTable(projects: readonly ProjectView[]): string {
  return renderTable(
    ['NAME', 'REPO', 'BUILD', 'SYSTEMS', 'BRANCHES', 'CONCURRENCY'],
    projects.map((p) => [
      p.name,
      p.repoUrl,
      buildLabel(p.build),
      p.systems.join(',') || '-',
      [...p.branches, ...p.tags.map((tag) => `tag:${tag}`)].join(',') || '-',
      concurrencyLabel(p.concurrency),
    ]),
  );
}

/** `kiln project show`: every setting, one per line; secrets only as set or not. */
export function projectLines(project: ProjectView, server: string): string[] {
  const row = (label: string, value: string): string => `${`${label}:`.padEnd(16)}${value}`;
  const set = (has: boolean): string => (has ? 'set' : 'none');
  const status = project.notify.commitStatus;
  const webhookUrl = `${server}${project.webhookPath}`;
  const concurrency = project.concurrency;
  return [
    row('name', project.name),
    row('repository', project.repoUrl),
    row('build', buildLabel(project.build)),
    row('systems', project.systems.join(', ') || '(server default)'),
    row('branches', project.branches.join(', ') || '(none: branch pushes do not build)'),
    row('tags', project.tags.join(', ') || '(none: tags do not build)'),
    row(
      'concurrency',
      `group ${concurrency.group}, ${
        concurrency.mode === 'queue'
          ? 'queue: every run waits its turn'
          : `replace: a newer run supersedes the pending one${concurrency.cancelInProgress ? ' and cancels the running one' : ''}`
      }`,
    ),
    row('push cache', project.pushCache ?? 'none'),
    row('image', project.imageRepo ?? 'none'),
    row('deploy hook', project.deployHook ?? 'none'),
    row('timeout', project.timeoutSeconds === null ? '(server default)' : `${project.timeoutSeconds}s`),
    row('notify', project.notify.url ?? 'none'),
    row('notify secret', set(project.hasNotifySecret)),
    row('commit status', status === null ? 'none' : `${status.forge} at ${status.apiUrl}`),
    row('status token', set(project.hasStatusToken)),
    row('git token', set(project.hasToken)),
    row('ssh key', set(project.hasSshKey)),
    row('webhook secret', set(project.hasWebhookSecret)),
    row('webhook', project.hasWebhookSecret ? webhookUrl : `${webhookUrl} (disabled: no webhook secret)`),
    ...(project.hasWebhookSecret ? [webhookHint()] : []),
    row('created', project.createdAt),
    row('updated', project.updatedAt),
  ];
}

function webhookHint(): string {
  return (
    '                (on GitHub, GitLab or Gitea add a webhook with this URL, content type ' +
    'application/json, the webhook secret (GitLab: "Secret token"), and push events; ' +
    'GitLab: also tag push events)'
  );
}

/** A secret the server generated is shown exactly once, after add (or edit): say so plainly. */
export function generatedSecretLines(saved: SavedProject): string[] {
  const lines: string[] = [];
  if (saved.webhookSecret !== undefined) {
    lines.push(
      '',
      `webhook secret: ${saved.webhookSecret}`,
      `  shown only now: paste it as the secret of the forge's webhook for ${saved.project.webhookPath}`,
    );
  }
  if (saved.notifySecret !== undefined) {
    lines.push(
      '',
      `notify secret: ${saved.notifySecret}`,
      '  shown only now: the receiver of the notifications checks X-Kiln-Signature-256 with it',
    );
  }
  return lines;
}
