import { KilnError } from '../errors/index.js';
import { validateAttrPath, validateGitUrl, type GitUrlPolicy } from '../git/index.js';
import {
  FLAKE_OUTPUT_SETS,
  type FlakeOutputSet,
  type ProjectBuildSpec,
  type ProjectRecord,
} from '../persistence/index.js';

/** What a caller gives to create or change a project; secrets in plain text (sealed at once). */
export interface ProjectInput {
  repoUrl?: string | undefined;
  branches?: string[] | undefined;
  tags?: string[] | undefined;
  build?:
    | { kind: 'flake'; outputs?: FlakeOutputSet[] | undefined }
    | { kind: 'attrs'; attrs: string[] }
    | { kind: 'template'; name: string; values?: Record<string, string> | undefined }
    | undefined;
  systems?: string[] | undefined;
  pushCache?: string | null | undefined;
  imageRepo?: string | null | undefined;
  deployHook?: string | null | undefined;
  concurrency?:
    | {
        group?: string | undefined;
        mode?: 'replace' | 'queue' | undefined;
        cancelInProgress?: boolean | undefined;
      }
    | undefined;
  notify?:
    | {
        url?: string | null | undefined;
        commitStatus?: { forge: 'github' | 'gitea'; apiUrl: string } | null | undefined;
      }
    | undefined;
  timeoutSeconds?: number | null | undefined;
  credentials?: { token?: string | undefined; sshPrivateKey?: string | undefined } | undefined;
  webhookSecret?: string | undefined;
  notifySecret?: string | undefined;
  statusToken?: string | undefined;
}

/** The secrets a project keeps sealed in one value. */
export interface ProjectSecrets {
  token?: string | undefined;
  sshPrivateKey?: string | undefined;
  webhookSecret?: string | undefined;
  notifySecret?: string | undefined;
  statusToken?: string | undefined;
}

export type ProjectSettings = Omit<ProjectRecord, 'name' | 'secrets' | 'createdAt' | 'updatedAt'>;

export const DEFAULT_GROUP = '{project}/{branch}';
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const PATTERN = /^[A-Za-z0-9._\-/*?]{1,255}$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
const CACHE_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
const TEMPLATE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

const invalid = (message: string): KilnError => new KilnError('KILN_ERR_VALIDATION', message);

export function validateProjectName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw invalid(
      `${JSON.stringify(name.slice(0, 80))} is not a project name: lower-case letters, digits, . _ - (at most 63)`,
    );
  }
}

function checkPatterns(kind: string, patterns: readonly string[]): string[] {
  if (patterns.length > 50) throw invalid(`at most 50 ${kind} patterns`);
  for (const pattern of patterns) {
    if (!PATTERN.test(pattern)) throw invalid(`${kind} pattern ${JSON.stringify(pattern)} is not valid`);
  }
  return [...new Set(patterns)];
}

function checkUrl(what: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`${what} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw invalid(`${what} must be http or https`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalid(`${what} must not hold credentials (they go in the secrets)`);
  }
  return url;
}

function buildSpec(input: NonNullable<ProjectInput['build']>): ProjectBuildSpec {
  switch (input.kind) {
    case 'flake': {
      const outputs = input.outputs ?? [...FLAKE_OUTPUT_SETS];
      if (outputs.length === 0) throw invalid('a flake project builds at least one output set');
      for (const set of outputs) {
        if (!(FLAKE_OUTPUT_SETS as readonly string[]).includes(set)) {
          throw invalid(`${JSON.stringify(set)} is not one of ${FLAKE_OUTPUT_SETS.join(', ')}`);
        }
      }
      return { kind: 'flake', outputs: [...new Set(outputs)] };
    }
    case 'attrs':
      if (input.attrs.length === 0 || input.attrs.length > 256) throw invalid('give 1 to 256 attributes');
      for (const attr of input.attrs) validateAttrPath(attr);
      return { kind: 'attrs', attrs: [...new Set(input.attrs)] };
    case 'template':
      if (!TEMPLATE_NAME.test(input.name))
        throw invalid(`${JSON.stringify(input.name)} is not a template name`);
      return { kind: 'template', name: input.name, values: { ...(input.values ?? {}) } };
  }
}

/**
 * The settings of a project: `base` (the stored ones, or defaults) with the input's fields applied,
 * all checked. Throws KILN_ERR_VALIDATION on the first problem.
 */
export function applyProjectInput(
  base: ProjectSettings,
  input: ProjectInput,
  policy: GitUrlPolicy,
): ProjectSettings {
  const next: ProjectSettings = {
    ...base,
    concurrency: { ...base.concurrency },
    notify: { ...base.notify },
  };
  if (input.repoUrl !== undefined) next.repoUrl = validateGitUrl(input.repoUrl, policy).url;
  if (next.repoUrl === '') throw invalid('a project needs its repository URL (repoUrl)');
  if (input.branches !== undefined) next.branches = checkPatterns('branch', input.branches);
  if (input.tags !== undefined) next.tags = checkPatterns('tag', input.tags);
  if (input.build !== undefined) next.build = buildSpec(input.build);
  if (input.systems !== undefined) {
    if (input.systems.length === 0 || input.systems.length > 8) throw invalid('give 1 to 8 systems');
    for (const system of input.systems) {
      if (!SYSTEM.test(system)) throw invalid(`system ${JSON.stringify(system)} is not of the form arch-os`);
    }
    next.systems = [...new Set(input.systems)];
  }
  if (input.pushCache !== undefined) {
    if (input.pushCache !== null && !CACHE_NAME.test(input.pushCache)) {
      throw invalid(`${JSON.stringify(input.pushCache)} is not a cache name`);
    }
    next.pushCache = input.pushCache;
  }
  if (input.imageRepo !== undefined) {
    if (
      input.imageRepo !== null &&
      (input.imageRepo.includes('@') || !/^[^\s:]+(?::\d+)?\/[^\s:]+$/.test(input.imageRepo))
    ) {
      throw invalid('the image repository is REGISTRY/REPO, without a tag (the branch becomes the tag)');
    }
    next.imageRepo = input.imageRepo;
  }
  if (input.deployHook !== undefined) {
    next.deployHook = input.deployHook === null ? null : checkUrl('the deploy hook', input.deployHook);
  }
  if (input.concurrency !== undefined) {
    const c = input.concurrency;
    if (c.group !== undefined) {
      if (c.group.trim() === '' || c.group.length > 200 || /[\n\0]/.test(c.group)) {
        throw invalid('a concurrency group is 1 to 200 characters on one line');
      }
      next.concurrency.group = c.group;
    }
    if (c.mode !== undefined) next.concurrency.mode = c.mode;
    if (c.cancelInProgress !== undefined) next.concurrency.cancelInProgress = c.cancelInProgress;
  }
  if (next.concurrency.mode === 'queue' && next.concurrency.cancelInProgress) {
    throw invalid('a queued concurrency group cannot also cancel the run in progress (as in GitHub Actions)');
  }
  if (input.notify !== undefined) {
    if (input.notify.url !== undefined) {
      next.notify.url = input.notify.url === null ? null : checkUrl('the notification URL', input.notify.url);
    }
    if (input.notify.commitStatus !== undefined) {
      const status = input.notify.commitStatus;
      next.notify.commitStatus =
        status === null
          ? null
          : { forge: status.forge, apiUrl: checkUrl('the forge API URL', status.apiUrl) };
    }
  }
  if (input.timeoutSeconds !== undefined) next.timeoutSeconds = input.timeoutSeconds;
  if (next.imageRepo !== null && !(next.build.kind === 'attrs' && next.build.attrs.length === 1)) {
    throw invalid('an image repository needs a project that builds exactly one attribute (build.kind attrs)');
  }
  if (next.deployHook !== null && next.imageRepo === null)
    throw invalid('a deploy hook goes with an image repository');
  return next;
}

export function defaultSettings(hostSystem: string): ProjectSettings {
  return {
    repoUrl: '',
    branches: ['*'],
    tags: [],
    build: { kind: 'flake', outputs: [...FLAKE_OUTPUT_SETS] },
    systems: [hostSystem],
    pushCache: null,
    imageRepo: null,
    deployHook: null,
    concurrency: { group: DEFAULT_GROUP, mode: 'replace', cancelInProgress: false },
    notify: { url: null, commitStatus: null },
    timeoutSeconds: null,
  };
}
