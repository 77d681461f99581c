import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  parseInteger,
  parseKeyValue,
  parseOptions,
  positionals,
  type ClientFlags,
} from './common.js';

export const FLAKE_OUTPUTS = ['packages', 'checks', 'devShells'] as const;
export type FlakeOutputName = (typeof FLAKE_OUTPUTS)[number];

/** What a project builds on each push. */
export type ProjectBuildFlag =
  | { kind: 'flake'; outputs: FlakeOutputName[] }
  | { kind: 'attrs'; attrs: string[] }
  | { kind: 'template'; name: string; values: Record<string, string> };

/**
 * The settings `kiln project add|edit` sends; undefined means "not given" (add: the server's
 * default; edit: unchanged). Secret files are read by the command, never put in argv.
 */
export interface ProjectSettings {
  repoUrl: string | undefined;
  branches: string[] | undefined;
  tags: string[] | undefined;
  build: ProjectBuildFlag | undefined;
  systems: string[] | undefined;
  pushCache: string | undefined;
  imageRepo: string | undefined;
  deployHook: string | undefined;
  concurrency: { group?: string; mode?: 'replace' | 'queue'; cancelInProgress?: boolean } | undefined;
  notifyUrl: string | undefined;
  commitStatus: { forge: 'github' | 'gitea'; apiUrl: string } | undefined;
  timeoutSeconds: number | undefined;
  tokenFile: string | undefined;
  sshKeyFile: string | undefined;
  webhookSecretFile: string | undefined;
  notifySecretFile: string | undefined;
  statusTokenFile: string | undefined;
  /** `edit --unset NAME`: settings and secrets to remove. */
  unset: ProjectUnset[];
}

/** What `kiln project edit --unset` can remove (each maps to one field of the API). */
export const PROJECT_UNSETS = {
  push: '--push',
  image: '--image',
  'deploy-hook': '--deploy-hook',
  'notify-url': '--notify-url',
  'commit-status': '--status-forge',
  timeout: '--timeout',
  'git-token': '--git-token-file',
  'ssh-key': '--ssh-key-file',
  'webhook-secret': '--webhook-secret-file',
  'notify-secret': '--notify-secret-file',
  'status-token': '--status-token-file',
} as const;
export type ProjectUnset = keyof typeof PROJECT_UNSETS;

/** `kiln project add|edit|list|show|remove|build`: projects on the server. */
export type ProjectPlan = { command: 'project'; client: ClientFlags; json: boolean } & (
  | { action: 'add' | 'edit'; name: string; settings: ProjectSettings }
  | { action: 'list' }
  | { action: 'show'; name: string }
  | { action: 'remove'; name: string }
  | {
      action: 'build';
      name: string;
      ref: { branch: string } | { tag: string } | undefined;
      commit: string | undefined;
      mode: 'submit' | 'wait' | 'follow';
    }
);

const SETTINGS_OPTIONS = [
  'repo',
  'branch',
  'tag',
  'outputs',
  'attr',
  'template',
  'set',
  'system',
  'push',
  'image',
  'deploy-hook',
  'concurrency-group',
  'cancel-in-progress',
  'no-cancel-in-progress',
  'queue',
  'replace',
  'notify-url',
  'notify-secret-file',
  'status-forge',
  'status-api',
  'status-token-file',
  'git-token-file',
  'ssh-key-file',
  'webhook-secret-file',
  'timeout',
  'unset',
] as const;
const BUILD_OPTIONS = ['branch', 'tag', 'commit', 'wait', 'follow'] as const;
const ALL_OPTIONS = [...new Set([...SETTINGS_OPTIONS, ...BUILD_OPTIONS])];

/** Project names as the server stores them: lower-case letters, digits, '-', '_' and '.'. */
const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
/** A full commit id (SHA-1, or SHA-256 repositories). */
const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/i;
const SUBCOMMANDS = 'add, edit, list, show, remove or build';

function usage(message: string, option?: string): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', message, {
    ...(option !== undefined && { option }),
    command: 'project',
  });
}

export function parseProjectArgs(
  args: readonly string[],
): ProjectPlan | { command: 'help'; topic: 'project' } {
  const { values, positionals: rest } = parseOptions('project', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    repo: { type: 'string' },
    branch: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    outputs: { type: 'string', multiple: true },
    attr: { type: 'string', short: 'A', multiple: true },
    template: { type: 'string' },
    set: { type: 'string', multiple: true },
    system: { type: 'string', multiple: true },
    push: { type: 'string' },
    image: { type: 'string' },
    'deploy-hook': { type: 'string' },
    'concurrency-group': { type: 'string' },
    'cancel-in-progress': { type: 'boolean' },
    'no-cancel-in-progress': { type: 'boolean' },
    queue: { type: 'boolean' },
    replace: { type: 'boolean' },
    'notify-url': { type: 'string' },
    'notify-secret-file': { type: 'string' },
    'status-forge': { type: 'string' },
    'status-api': { type: 'string' },
    'status-token-file': { type: 'string' },
    'git-token-file': { type: 'string' },
    'ssh-key-file': { type: 'string' },
    'webhook-secret-file': { type: 'string' },
    timeout: { type: 'string' },
    unset: { type: 'string', multiple: true },
    commit: { type: 'string' },
    wait: { type: 'boolean', short: 'w' },
    follow: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'project' };
  const [action, ...operands] = rest;
  const base = { command: 'project' as const, client: clientFlags(values), json: values.json ?? false };
  /** Options of other subcommands are mistakes, not silently ignored. */
  const only = (sub: string, allowed: readonly string[]): void => {
    const stray = ALL_OPTIONS.find((name) => values[name] !== undefined && !allowed.includes(name));
    if (stray !== undefined) throw usage(`'kiln project ${sub}' does not take --${stray}`, `--${stray}`);
  };
  const named = (sub: string): string => {
    const [name = ''] = positionals(`project ${sub}`, operands, ['NAME']);
    if (!PROJECT_NAME.test(name) || name.includes('..')) {
      throw usage(
        `project name ${JSON.stringify(name)} must be 1-63 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit`,
      );
    }
    return name;
  };
  switch (action) {
    case 'add':
    case 'edit': {
      only(action, action === 'add' ? SETTINGS_OPTIONS.filter((o) => o !== 'unset') : SETTINGS_OPTIONS);
      const name = named(action);
      const settings = parseSettings(values);
      if (action === 'add') checkAdd(settings);
      else if (
        settings.unset.length === 0 &&
        Object.entries(settings).every(([key, value]) => key === 'unset' || value === undefined)
      ) {
        throw usage("'kiln project edit' needs at least one setting to change (see kiln project --help)");
      }
      return { ...base, action, name, settings };
    }
    case 'list':
      only('list', []);
      positionals('project list', operands, []);
      return { ...base, action };
    case 'show':
    case 'remove':
      only(action, []);
      return { ...base, action, name: named(action) };
    case 'build': {
      only('build', BUILD_OPTIONS);
      const name = named('build');
      const branches = values.branch ?? [];
      const tags = values.tag ?? [];
      if (branches.length + tags.length > 1) {
        throw usage(
          "'kiln project build' takes one --branch or one --tag",
          tags.length > 0 ? '--tag' : '--branch',
        );
      }
      const branch = nonEmpty('--branch', branches[0]);
      const tag = nonEmpty('--tag', tags[0]);
      const commit = nonEmpty('--commit', values.commit);
      if (commit !== undefined && !COMMIT.test(commit)) {
        throw usage(
          `option '--commit' expects a full commit SHA (40 hex digits), got ${JSON.stringify(commit)}`,
          '--commit',
        );
      }
      if (values.wait && values.follow) {
        throw usage('give either --wait or --follow, not both (--follow also waits)', '--follow');
      }
      return {
        ...base,
        action,
        name,
        ref: branch !== undefined ? { branch } : tag !== undefined ? { tag } : undefined,
        commit: commit?.toLowerCase(),
        mode: values.follow ? 'follow' : values.wait ? 'wait' : 'submit',
      };
    }
    default:
      throw usage(
        action === undefined
          ? `'kiln project' needs a subcommand: ${SUBCOMMANDS}`
          : `unknown subcommand 'kiln project ${action}' (one of: ${SUBCOMMANDS})`,
      );
  }
}

/** The option values `parseSettings` reads (a subset of what parseArgs returns). */
interface SettingValues {
  repo?: string | undefined;
  branch?: string[] | undefined;
  tag?: string[] | undefined;
  outputs?: string[] | undefined;
  attr?: string[] | undefined;
  template?: string | undefined;
  set?: string[] | undefined;
  system?: string[] | undefined;
  push?: string | undefined;
  image?: string | undefined;
  'deploy-hook'?: string | undefined;
  'concurrency-group'?: string | undefined;
  'cancel-in-progress'?: boolean | undefined;
  'no-cancel-in-progress'?: boolean | undefined;
  queue?: boolean | undefined;
  replace?: boolean | undefined;
  'notify-url'?: string | undefined;
  'notify-secret-file'?: string | undefined;
  'status-forge'?: string | undefined;
  'status-api'?: string | undefined;
  'status-token-file'?: string | undefined;
  'git-token-file'?: string | undefined;
  'ssh-key-file'?: string | undefined;
  'webhook-secret-file'?: string | undefined;
  timeout?: string | undefined;
  unset?: string[] | undefined;
}

function parseSettings(values: SettingValues): ProjectSettings {
  const settings: ProjectSettings = {
    repoUrl: nonEmpty('--repo', values.repo),
    branches: patterns('--branch', values.branch),
    tags: patterns('--tag', values.tag),
    build: parseBuildSpec(values),
    systems: parseSystems(values.system),
    pushCache: nonEmpty('--push', values.push),
    imageRepo: parseImageRepo(values.image),
    deployHook: nonEmpty('--deploy-hook', values['deploy-hook']),
    concurrency: parseConcurrency(values),
    notifyUrl: nonEmpty('--notify-url', values['notify-url']),
    commitStatus: parseCommitStatus(values),
    timeoutSeconds:
      values.timeout === undefined ? undefined : parseInteger('--timeout', values.timeout, 1, 2 ** 31 - 1),
    ...parseCredentials(values),
    webhookSecretFile: nonEmpty('--webhook-secret-file', values['webhook-secret-file']),
    notifySecretFile: nonEmpty('--notify-secret-file', values['notify-secret-file']),
    statusTokenFile: nonEmpty('--status-token-file', values['status-token-file']),
    unset: parseUnset(values.unset),
  };
  for (const name of settings.unset) {
    const option = PROJECT_UNSETS[name];
    const key = option.slice(2) as keyof SettingValues;
    if (values[key] !== undefined)
      throw usage(`give either ${option} or --unset ${name}, not both`, '--unset');
  }
  return settings;
}

function parseUnset(raws: string[] | undefined): ProjectUnset[] {
  const names: ProjectUnset[] = [];
  for (const raw of (raws ?? []).flatMap((list) => list.split(','))) {
    const name = Object.keys(PROJECT_UNSETS).find((known) => known === raw.trim()) as
      ProjectUnset | undefined;
    if (name === undefined) {
      throw usage(
        `option '--unset' takes ${Object.keys(PROJECT_UNSETS).join(', ')} (comma-separated), got ${JSON.stringify(raw)}`,
        '--unset',
      );
    }
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** What only `add` requires: a repository, and settings that need another one given with them. */
function checkAdd(settings: ProjectSettings): void {
  if (settings.repoUrl === undefined) throw usage("'kiln project add' needs --repo URL", '--repo');
  if (settings.notifySecretFile !== undefined && settings.notifyUrl === undefined) {
    throw usage("option '--notify-secret-file' goes with --notify-url", '--notify-secret-file');
  }
  if (settings.statusTokenFile !== undefined && settings.commitStatus === undefined) {
    throw usage(
      "option '--status-token-file' goes with --status-forge and --status-api",
      '--status-token-file',
    );
  }
  if (settings.deployHook !== undefined && settings.imageRepo === undefined) {
    throw usage("option '--deploy-hook' goes with --image", '--deploy-hook');
  }
}

function patterns(option: string, raws: string[] | undefined): string[] | undefined {
  if (raws === undefined) return undefined;
  const list = raws.map((raw) => nonEmpty(option, raw.trim()) ?? '');
  return [...new Set(list)];
}

function parseSystems(raws: string[] | undefined): string[] | undefined {
  if (raws === undefined) return undefined;
  for (const system of raws) {
    if (!SYSTEM.test(system)) {
      throw usage(
        `option '--system' expects a system like x86_64-linux, got ${JSON.stringify(system)}`,
        '--system',
      );
    }
  }
  return [...new Set(raws)];
}

/** `REGISTRY/REPO` without a tag: each build is tagged by the server (branch, build id). */
function parseImageRepo(raw: string | undefined): string | undefined {
  const image = nonEmpty('--image', raw);
  if (image === undefined) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (!image.includes('/') || lastSegment.includes(':') || image.includes('@')) {
    throw usage(
      `option '--image' expects REGISTRY/REPO without a tag or digest (the server tags each build), got ${JSON.stringify(image)}`,
      '--image',
    );
  }
  return image;
}

/** `--outputs`, `--attr` and `--template` (with `--set`) are three ways to say what to build. */
function parseBuildSpec(values: SettingValues): ProjectBuildFlag | undefined {
  const given = (['outputs', 'attr', 'template'] as const).filter((name) => values[name] !== undefined);
  if (given.length > 1) {
    throw usage(
      `give one of --outputs, --attr or --template, not ${given.map((n) => `--${n}`).join(' and ')}`,
      `--${given[1] ?? 'attr'}`,
    );
  }
  if (values.set !== undefined && values.template === undefined) {
    throw usage("option '--set' goes with --template", '--set');
  }
  if (values.outputs !== undefined) {
    const outputs: FlakeOutputName[] = [];
    for (const raw of values.outputs.flatMap((list) => list.split(','))) {
      const name = raw.trim();
      const known = FLAKE_OUTPUTS.find((output) => output === name);
      if (known === undefined) {
        throw usage(
          `option '--outputs' takes ${FLAKE_OUTPUTS.join(', ')} (comma-separated), got ${JSON.stringify(raw)}`,
          '--outputs',
        );
      }
      if (!outputs.includes(known)) outputs.push(known);
    }
    return { kind: 'flake', outputs };
  }
  if (values.attr !== undefined) {
    return { kind: 'attrs', attrs: [...new Set(values.attr.map((raw) => nonEmpty('--attr', raw) ?? ''))] };
  }
  if (values.template !== undefined) {
    const templateValues: Record<string, string> = {};
    for (const raw of values.set ?? []) {
      const [key, value] = parseKeyValue('--set', raw);
      templateValues[key] = value;
    }
    return { kind: 'template', name: nonEmpty('--template', values.template) ?? '', values: templateValues };
  }
  return undefined;
}

/**
 * GitHub Actions' concurrency settings: a group, and either replace (a newer run supersedes the
 * pending one; with cancel-in-progress the running one too) or queue (every run waits its turn).
 */
function parseConcurrency(values: SettingValues): ProjectSettings['concurrency'] {
  const cancel = values['cancel-in-progress'];
  const noCancel = values['no-cancel-in-progress'];
  if (cancel && noCancel) {
    throw usage(
      'give either --cancel-in-progress or --no-cancel-in-progress, not both',
      '--no-cancel-in-progress',
    );
  }
  if (values.queue && values.replace) throw usage('give either --queue or --replace, not both', '--replace');
  if (values.queue && cancel) {
    // A queue keeps every run; cancelling the running one would drop work the queue promised to do.
    throw usage(
      '--queue keeps every run, so it cannot go with --cancel-in-progress (which supersedes and cancels older runs)',
      '--cancel-in-progress',
    );
  }
  const group = nonEmpty('--concurrency-group', values['concurrency-group']);
  const mode = values.queue ? 'queue' : values.replace || cancel ? 'replace' : undefined;
  const cancelInProgress = cancel ? true : noCancel || values.queue ? false : undefined;
  if (group === undefined && mode === undefined && cancelInProgress === undefined) return undefined;
  return {
    ...(group !== undefined && { group }),
    ...(mode !== undefined && { mode }),
    ...(cancelInProgress !== undefined && { cancelInProgress }),
  };
}

function parseCommitStatus(values: SettingValues): ProjectSettings['commitStatus'] {
  const forge = nonEmpty('--status-forge', values['status-forge']);
  const apiUrl = nonEmpty('--status-api', values['status-api']);
  if (forge === undefined && apiUrl === undefined) return undefined;
  if (forge === undefined || apiUrl === undefined) {
    throw usage(
      'commit statuses need both --status-forge github|gitea and --status-api URL',
      forge === undefined ? '--status-forge' : '--status-api',
    );
  }
  if (forge !== 'github' && forge !== 'gitea') {
    throw usage(
      `option '--status-forge' takes github or gitea, got ${JSON.stringify(forge)}`,
      '--status-forge',
    );
  }
  if (!/^https?:\/\/[^/\s]+/.test(apiUrl)) {
    throw usage(
      `option '--status-api' expects an http(s) URL, got ${JSON.stringify(apiUrl)}`,
      '--status-api',
    );
  }
  return { forge, apiUrl };
}

function parseCredentials(values: SettingValues): Pick<ProjectSettings, 'tokenFile' | 'sshKeyFile'> {
  const tokenFile = nonEmpty('--git-token-file', values['git-token-file']);
  const sshKeyFile = nonEmpty('--ssh-key-file', values['ssh-key-file']);
  if (tokenFile !== undefined && sshKeyFile !== undefined) {
    throw usage('give either --git-token-file or --ssh-key-file, not both', '--ssh-key-file');
  }
  return { tokenFile, sshKeyFile };
}
