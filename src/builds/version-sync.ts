import { KilnError } from '../errors/index.js';
import { validateGitUrl, type GitUrlPolicy } from '../git/index.js';
import type { BuildRecord, Store, VersionSyncRecord } from '../persistence/index.js';
import { readReleaseHook, type HookHeaders, type HookProvider } from '../webhooks/index.js';
import type { OpenedSync } from './bump-step.js';
import type { BuildEvents } from './events.js';
import type { GitPort } from './git-source.js';
import { newBuildId } from './ids.js';
import {
  DEFAULT_BRANCH_TEMPLATE,
  DEFAULT_TAG_PATTERN,
  checkVersion,
  renderBranch,
  validateVersionSync,
  versionFromTag,
  type ValidVersionSync,
  type VersionSyncInput,
} from './version-sync-config.js';

/** A sync as shown: its settings with defaults filled in, and whether secrets are set (never them). */
export interface VersionSync extends Omit<ValidVersionSync, 'branch' | 'tagPattern'> {
  branch: string;
  tagPattern: string;
  hasToken: boolean;
  hasWebhookSecret: boolean;
  /** Where the forge posts releases and tags (no kiln token; signed with the webhook secret). */
  webhookPath: string;
  createdAt: number;
}

/** Seals secrets at rest (SecretBox in the wiring); `context` binds a sealed value to its use. */
export interface SecretSeal {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

export interface VersionSyncDeps {
  store: Store;
  events: BuildEvents;
  clock: () => number;
  policy: GitUrlPolicy;
  seal: SecretSeal;
  /** Checks at creation that the repository and base ref are reachable with the token. */
  git?: Pick<GitPort, 'lsRemote'> | undefined;
  /** Timeouts of a run (the server's build defaults). */
  timeoutSeconds: number;
  maxSilentSeconds: number;
  /** Called after a run is queued (a hint to idle workers). */
  onQueued: () => void;
}

/** How a webhook delivery was answered. */
export type HookAnswer =
  | { status: 202; body: { build: BuildRecord; provider: HookProvider; tag: string; version: string } }
  | { status: 202; body: { ignored: string } }
  | { status: 200; body: { duplicate: true } };

/** Delivery ids remembered per sync, to recognise replays. */
const DELIVERIES_KEPT = 1000;

const tokenContext = (name: string): string => `version-sync-token:${name}`;
const webhookContext = (name: string): string => `version-sync-webhook:${name}`;

function notFound(name: string): KilnError {
  return new KilnError('KILN_ERR_NOT_FOUND', `no version sync named ${name}`, { name });
}

/**
 * Version syncs: stored settings that turn a new release (an API call or a forge's webhook) into a
 * bump build, which bumps the file, proves the build and pushes a branch (see bump-step.ts).
 */
export class VersionSyncService {
  readonly #deps: VersionSyncDeps;

  constructor(deps: VersionSyncDeps) {
    this.#deps = deps;
  }

  async create(input: VersionSyncInput): Promise<VersionSync> {
    const valid = validateVersionSync(input, this.#deps.policy);
    const { store, seal, clock } = this.#deps;
    if (await store.versionSyncs.get(valid.name)) throw this.#duplicate(valid.name);
    if (this.#deps.git) {
      await this.#deps.git.lsRemote(
        validateGitUrl(valid.repository, this.#deps.policy),
        valid.ref ?? undefined,
        input.token === undefined ? {} : { token: input.token.trim() },
      );
    }
    const record: VersionSyncRecord = {
      ...valid,
      token: input.token === undefined ? null : seal.seal(input.token.trim(), tokenContext(valid.name)),
      webhookSecret:
        input.webhookSecret === undefined
          ? null
          : seal.seal(input.webhookSecret.trim(), webhookContext(valid.name)),
      createdAt: clock(),
    };
    if (!(await store.versionSyncs.insert(record))) throw this.#duplicate(valid.name);
    return syncView(record);
  }

  async list(): Promise<VersionSync[]> {
    return (await this.#deps.store.versionSyncs.list()).map(syncView);
  }

  async get(name: string): Promise<VersionSync> {
    return syncView(await this.#record(name));
  }

  async remove(name: string): Promise<{ name: string; removed: true }> {
    if (!(await this.#deps.store.versionSyncs.remove(name))) throw notFound(name);
    return { name, removed: true };
  }

  /** The sync with its token opened, for a run on a worker. */
  async open(name: string): Promise<OpenedSync> {
    const sync = await this.#record(name);
    return {
      sync,
      token: sync.token === null ? undefined : this.#deps.seal.open(sync.token, tokenContext(name)),
    };
  }

  /** Queues a run: a build of kind `bump` that bumps the sync's file to `version` and pushes a branch. */
  async run(name: string, version: string, tag?: string): Promise<BuildRecord> {
    const sync = await this.#record(name);
    checkVersion(version);
    renderBranch(sync.branch, sync.name, version);
    const { store, clock, events } = this.#deps;
    const now = clock();
    const build = await store.builds.insert({
      id: newBuildId(now),
      source: { kind: 'bump', sync: name, version, ...(tag !== undefined && { tag }) },
      env: {},
      system: null,
      groupId: null,
      serviceId: null,
      labels: { 'kiln.version-sync': name },
      priority: 0,
      timeoutSeconds: this.#deps.timeoutSeconds,
      maxSilentSeconds: this.#deps.maxSilentSeconds,
      drvPaths: [],
      createdAt: now,
    });
    events.emit({ type: 'status', buildId: build.id, status: build.status });
    this.#deps.onQueued();
    return build;
  }

  /**
   * A forge's webhook: the signature over the raw body first (401 and nothing else when it does not
   * hold), then the event; a new tag matching the sync's pattern queues a run, once per delivery.
   */
  async hook(name: string, headers: HookHeaders, body: Uint8Array): Promise<HookAnswer> {
    const sync = await this.#record(name);
    if (sync.webhookSecret === null) {
      throw new KilnError('KILN_ERR_UNAUTHORIZED', `version sync ${name} has no webhook secret`, { name });
    }
    const secret = this.#deps.seal.open(sync.webhookSecret, webhookContext(name));
    const hook = readReleaseHook(headers, body, secret);
    switch (hook.kind) {
      case 'unauthorized':
        throw new KilnError('KILN_ERR_UNAUTHORIZED', hook.reason, { name });
      case 'invalid':
        throw new KilnError('KILN_ERR_VALIDATION', hook.reason, { name });
      case 'ignored':
        return { status: 202, body: { ignored: hook.reason } };
      case 'tag':
        break;
    }
    const version = versionFromTag(hook.tag, sync.tagPattern);
    if (version === null) {
      const pattern = sync.tagPattern ?? DEFAULT_TAG_PATTERN;
      return { status: 202, body: { ignored: `tag ${hook.tag} does not match ${pattern}` } };
    }
    try {
      checkVersion(version);
    } catch (error) {
      if (!(error instanceof KilnError)) throw error;
      return { status: 202, body: { ignored: `tag ${hook.tag}: ${error.message}` } };
    }
    if (hook.deliveryId !== null) {
      const first = await this.#deps.store.versionSyncs.recordDelivery(
        name,
        `${hook.provider}:${hook.deliveryId}`,
        this.#deps.clock(),
        DELIVERIES_KEPT,
      );
      if (!first) return { status: 200, body: { duplicate: true } };
    }
    // A forge may announce one release twice (a release and its tag push): one run is enough.
    const active = await this.#activeRun(name, version);
    if (active !== undefined) {
      return {
        status: 202,
        body: {
          ignored: `a run of ${name} for ${version} is queued or running already (build ${active.id})`,
        },
      };
    }
    const build = await this.run(name, version, hook.tag);
    return { status: 202, body: { build, provider: hook.provider, tag: hook.tag, version } };
  }

  async #activeRun(name: string, version: string): Promise<BuildRecord | undefined> {
    const active = await this.#deps.store.builds.list({ status: ['pending', 'running'], limit: 500 });
    return active.find(
      (b) => b.source.kind === 'bump' && b.source.sync === name && b.source.version === version,
    );
  }

  async #record(name: string): Promise<VersionSyncRecord> {
    const sync = await this.#deps.store.versionSyncs.get(name);
    if (!sync) throw notFound(name);
    return sync;
  }

  #duplicate(name: string): KilnError {
    return new KilnError('KILN_ERR_CONFLICT', `a version sync named ${name} exists already`, { name });
  }
}

function syncView(record: VersionSyncRecord): VersionSync {
  // The secrets stay behind; only whether they are set is shown.
  const { token: _token, webhookSecret: _webhookSecret, ...settings } = record;
  return {
    ...settings,
    systems: [...record.systems],
    branch: record.branch ?? DEFAULT_BRANCH_TEMPLATE,
    tagPattern: record.tagPattern ?? DEFAULT_TAG_PATTERN,
    hasToken: record.token !== null,
    hasWebhookSecret: record.webhookSecret !== null,
    webhookPath: `/api/v1/hooks/version-sync/${record.name}`,
  };
}
