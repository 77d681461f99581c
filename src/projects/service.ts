import { randomBytes } from 'node:crypto';
import type { BuildSubmission } from '../builds/index.js';
import { KilnError } from '../errors/index.js';
import type { GitUrlPolicy } from '../git/index.js';
import type { BuildRecord, BuildTrigger, ProjectRecord, ProjectRepo } from '../persistence/index.js';
import { readPushHook, type HookHeaders, type HookProvider } from '../webhooks/index.js';
import {
  applyProjectInput,
  defaultSettings,
  validateProjectName,
  type ProjectInput,
  type ProjectSecrets,
  type ProjectSettings,
} from './config.js';
import { matchesAny, renderGroup } from './glob.js';

/** Seals secrets at rest (SecretBox in the wiring); `context` binds a sealed value to its use. */
export interface ProjectSeal {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

export interface ProjectServiceDeps {
  projects: ProjectRepo;
  seal: ProjectSeal;
  policy: GitUrlPolicy;
  /** Queues a run (BuildService.submit). */
  submit: (submission: BuildSubmission) => Promise<BuildRecord[]>;
  clock: () => number;
  /** The system a project builds for when it names none. */
  hostSystem: string;
}

/** A project as shown: its settings, and whether each secret is set (never the secrets). */
export interface Project extends ProjectSettings {
  name: string;
  hasToken: boolean;
  hasSshKey: boolean;
  hasWebhookSecret: boolean;
  hasNotifySecret: boolean;
  hasStatusToken: boolean;
  /** Where a forge posts pushes (no kiln token: signed with the webhook secret). */
  webhookPath: string;
  createdAt: number;
  updatedAt: number;
}

/** What a build of a project asks for: a branch or a tag, optionally at a known commit. */
export interface ProjectBuildRequest {
  branch?: string | undefined;
  tag?: string | undefined;
  commit?: string | undefined;
  trigger: BuildTrigger;
}

/** How a webhook delivery was answered. */
export type ProjectHookAnswer =
  | { status: 202; body: { builds: BuildRecord[]; provider: HookProvider; ref: string; commit: string } }
  | { status: 202; body: { ignored: string } }
  | { status: 200; body: { duplicate: true } };

const DELIVERIES_KEPT = 1000;
const secretsContext = (name: string): string => `project-secrets:${name}`;
const newSecret = (): string => randomBytes(32).toString('hex');

function notFound(name: string): KilnError {
  return new KilnError('KILN_ERR_NOT_FOUND', `no project named ${name}`, { name });
}

/** An image tag from a branch or tag name: `/` and other characters a tag cannot hold become `-`. */
export function imageTagFor(ref: string): string {
  const tag = ref.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '');
  return (tag === '' ? 'latest' : tag).slice(0, 128);
}

/**
 * Projects: a repository built on push. Webhooks are checked against the project's secret over the
 * raw body, filtered by branch and tag patterns, de-duplicated by delivery id, and turned into a run
 * in the project's concurrency group.
 */
export class ProjectService {
  readonly #deps: ProjectServiceDeps;

  constructor(deps: ProjectServiceDeps) {
    this.#deps = deps;
  }

  async create(
    name: string,
    input: ProjectInput,
  ): Promise<{ project: Project; webhookSecret?: string; notifySecret?: string }> {
    validateProjectName(name);
    const settings = applyProjectInput(defaultSettings(this.#deps.hostSystem), input, this.#deps.policy);
    const generated: { webhookSecret?: string; notifySecret?: string } = {};
    const secrets = mergeSecrets({}, input);
    if (secrets.webhookSecret === undefined) secrets.webhookSecret = generated.webhookSecret = newSecret();
    if (settings.notify.url !== null && secrets.notifySecret === undefined) {
      secrets.notifySecret = generated.notifySecret = newSecret();
    }
    const now = this.#deps.clock();
    const record: ProjectRecord = {
      name,
      ...settings,
      secrets: this.#seal(name, secrets),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.#deps.projects.insert(record))) {
      throw new KilnError('KILN_ERR_CONFLICT', `a project named ${name} exists already`, { name });
    }
    return { project: projectView(record, secrets), ...generated };
  }

  async update(name: string, input: ProjectInput): Promise<{ project: Project; notifySecret?: string }> {
    const record = await this.#record(name);
    const { name: _name, secrets: sealed, createdAt, updatedAt: _updatedAt, ...stored } = record;
    const settings = applyProjectInput(stored, input, this.#deps.policy);
    const secrets = mergeSecrets(this.#open(record), input);
    const generated: { notifySecret?: string } = {};
    if (settings.notify.url !== null && secrets.notifySecret === undefined) {
      secrets.notifySecret = generated.notifySecret = newSecret();
    }
    const next: ProjectRecord = {
      name,
      ...settings,
      secrets: sealed === null && Object.keys(secrets).length === 0 ? null : this.#seal(name, secrets),
      createdAt,
      updatedAt: this.#deps.clock(),
    };
    if (!(await this.#deps.projects.update(next))) throw notFound(name);
    return { project: projectView(next, secrets), ...generated };
  }

  async get(name: string): Promise<Project> {
    const record = await this.#record(name);
    return projectView(record, this.#open(record));
  }

  async list(): Promise<Project[]> {
    return (await this.#deps.projects.list()).map((record) => projectView(record, this.#open(record)));
  }

  async remove(name: string): Promise<void> {
    if (!(await this.#deps.projects.delete(name))) throw notFound(name);
  }

  /** The stored record and its opened secrets, for notifications (never shown). */
  async secretsOf(name: string): Promise<{ project: ProjectRecord; secrets: ProjectSecrets } | undefined> {
    const project = await this.#deps.projects.get(name);
    return project ? { project, secrets: this.#open(project) } : undefined;
  }

  /** Queues a run of the project for a branch or tag (default: the remote's HEAD). */
  async build(name: string, request: ProjectBuildRequest): Promise<BuildRecord[]> {
    const record = await this.#record(name);
    if (request.branch !== undefined && request.tag !== undefined) {
      throw new KilnError('KILN_ERR_VALIDATION', 'give a branch or a tag, not both');
    }
    return this.#deps.submit(runSubmission(record, this.#open(record), request));
  }

  /**
   * A forge's push webhook: the signature over the raw body first (401 and nothing else when it does
   * not hold), then the event; a push to a matching branch or tag queues a run, once per delivery.
   */
  async hook(name: string, headers: HookHeaders, body: Uint8Array): Promise<ProjectHookAnswer> {
    const record = await this.#record(name);
    const secret = this.#open(record).webhookSecret;
    if (secret === undefined) {
      throw new KilnError('KILN_ERR_UNAUTHORIZED', `project ${name} has no webhook secret`, { name });
    }
    const hook = readPushHook(headers, body, secret);
    switch (hook.kind) {
      case 'unauthorized':
        throw new KilnError('KILN_ERR_UNAUTHORIZED', hook.reason, { name });
      case 'invalid':
        throw new KilnError('KILN_ERR_VALIDATION', hook.reason, { name });
      case 'ignored':
        return { status: 202, body: { ignored: hook.reason } };
      case 'push':
      case 'tag':
        break;
    }
    if (hook.kind === 'push' && (hook.branch === null || !matchesAny(record.branches, hook.branch))) {
      return {
        status: 202,
        body: {
          ignored: `branch ${hook.branch ?? hook.ref} does not match ${record.branches.join(', ') || '(none)'}`,
        },
      };
    }
    if (hook.kind === 'tag' && (hook.tag === null || !matchesAny(record.tags, hook.tag))) {
      return {
        status: 202,
        body: {
          ignored: `tag ${hook.tag ?? hook.ref} does not match ${record.tags.join(', ') || '(none: tags do not build)'}`,
        },
      };
    }
    if (hook.deliveryId !== null) {
      const first = await this.#deps.projects.recordDelivery(
        name,
        `${hook.provider}:${hook.deliveryId}`,
        this.#deps.clock(),
        DELIVERIES_KEPT,
      );
      if (!first) return { status: 200, body: { duplicate: true } };
    }
    const trigger: BuildTrigger = {
      kind: hook.kind,
      actor: hook.pusher,
      forge: hook.provider,
      ...(hook.deliveryId !== null && { deliveryId: hook.deliveryId }),
    };
    const builds = await this.#deps.submit(
      runSubmission(record, this.#open(record), {
        ...(hook.kind === 'push' ? { branch: hook.branch ?? undefined } : { tag: hook.tag ?? undefined }),
        commit: hook.commit,
        trigger,
      }),
    );
    return { status: 202, body: { builds, provider: hook.provider, ref: hook.ref, commit: hook.commit } };
  }

  async #record(name: string): Promise<ProjectRecord> {
    const record = await this.#deps.projects.get(name);
    if (!record) throw notFound(name);
    return record;
  }

  #open(record: ProjectRecord): ProjectSecrets {
    if (record.secrets === null) return {};
    return JSON.parse(this.#deps.seal.open(record.secrets, secretsContext(record.name))) as ProjectSecrets;
  }

  #seal(name: string, secrets: ProjectSecrets): string {
    return this.#deps.seal.seal(JSON.stringify(secrets), secretsContext(name));
  }
}

function mergeSecrets(current: ProjectSecrets, input: ProjectInput): ProjectSecrets {
  const next: ProjectSecrets = { ...current };
  const set = (key: keyof ProjectSecrets, value: string | undefined): void => {
    if (value === undefined) return;
    if (value.trim() === '') delete next[key];
    else next[key] = value.trim();
  };
  set('token', input.credentials?.token);
  set('sshPrivateKey', input.credentials?.sshPrivateKey);
  set('webhookSecret', input.webhookSecret);
  set('notifySecret', input.notifySecret);
  set('statusToken', input.statusToken);
  return next;
}

function projectView(record: ProjectRecord, secrets: ProjectSecrets): Project {
  const { secrets: _sealed, ...settings } = record;
  return {
    ...settings,
    hasToken: secrets.token !== undefined,
    hasSshKey: secrets.sshPrivateKey !== undefined,
    hasWebhookSecret: secrets.webhookSecret !== undefined,
    hasNotifySecret: secrets.notifySecret !== undefined,
    hasStatusToken: secrets.statusToken !== undefined,
    webhookPath: `/api/v1/hooks/projects/${record.name}`,
  };
}

/** The submission of one run of a project: what to build, where results go, its concurrency group. */
export function runSubmission(
  project: ProjectRecord,
  secrets: ProjectSecrets,
  request: ProjectBuildRequest,
): BuildSubmission {
  const ref = request.tag ?? request.branch;
  const refName = ref ?? 'HEAD';
  const credentials =
    secrets.token !== undefined || secrets.sshPrivateKey !== undefined
      ? {
          ...(secrets.token !== undefined && { token: secrets.token }),
          ...(secrets.sshPrivateKey !== undefined && { sshPrivateKey: secrets.sshPrivateKey }),
        }
      : undefined;
  const common = {
    projectId: project.name,
    trigger: request.trigger,
    concurrency: {
      group: renderGroup(project.concurrency.group, {
        project: project.name,
        branch: request.branch ?? request.tag ?? 'HEAD',
        ref: refName,
      }),
      queue: project.concurrency.mode === 'queue',
      cancelInProgress: project.concurrency.cancelInProgress,
    },
    ...(project.pushCache !== null && { push: project.pushCache }),
    ...(project.timeoutSeconds !== null && { timeoutSeconds: project.timeoutSeconds }),
  };
  const commit =
    request.commit === undefined ? undefined : { sha: request.commit, branch: request.branch ?? null };
  const git = {
    kind: 'git' as const,
    url: project.repoUrl,
    ...(ref !== undefined && { ref }),
  };
  const build = project.build;
  switch (build.kind) {
    case 'template': {
      const values = Object.fromEntries(
        Object.entries(build.values).map(([key, value]) => [
          key,
          value
            .replaceAll('{url}', project.repoUrl)
            .replaceAll('{ref}', refName)
            .replaceAll('{branch}', request.branch ?? '')
            .replaceAll('{commit}', request.commit ?? ''),
        ]),
      );
      return {
        ...common,
        source: { kind: 'template', name: build.name, values },
        systems: project.systems,
      };
    }
    case 'attrs':
      if (project.imageRepo !== null) {
        // One attribute with an image: a plain build per system (an image index over them).
        return {
          ...common,
          source: { ...git, attr: build.attrs[0] },
          systems: project.systems,
          image: `${project.imageRepo}:${imageTagFor(refName)}`,
          ...(project.deployHook !== null && { deployHook: project.deployHook }),
          ...(credentials && { credentials }),
          ...(commit && { commit }),
        };
      }
      return {
        ...common,
        source: { ...git, matrix: { sets: [], attrs: build.attrs, systems: project.systems } },
        ...(credentials && { credentials }),
        ...(commit && { commit }),
      };
    case 'flake':
      return {
        ...common,
        source: { ...git, matrix: { sets: build.outputs, attrs: [], systems: project.systems } },
        ...(credentials && { credentials }),
        ...(commit && { commit }),
      };
  }
}
