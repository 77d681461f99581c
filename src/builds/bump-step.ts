import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.js';
import {
  validateGitUrl,
  type CommitInfo,
  type GitCredentials,
  type GitUrlPolicy,
  type PushOptions,
  type ValidGitUrl,
} from '../git/index.js';
import { bumpPackage, type BumpDependencies, type BumpOptions, type BumpResult } from '../packaging/index.js';
import type { BuildBump, BuildCommit, BuildRecord, VersionSyncRecord } from '../persistence/index.js';
import type { GitPort } from './git-source.js';
import { renderBranch } from './version-sync-config.js';

/** What a bump build needs of Git: GitPort's clone and commit info, and a branch push. */
export interface BumpGitPort extends Pick<GitPort, 'lsRemote' | 'clone' | 'commitInfo'> {
  pushBranch(url: ValidGitUrl, dir: string, branch: string, options: PushOptions): Promise<void>;
}

/** A version sync with its token opened, for the time of one run. */
export interface OpenedSync {
  sync: VersionSyncRecord;
  token: string | undefined;
}

export interface BumpStepsDeps {
  git: BumpGitPort;
  policy: GitUrlPolicy;
  /** The sync a run names, token opened; throws KILN_ERR_NOT_FOUND when it was removed. */
  openSync(name: string): Promise<OpenedSync>;
  bump: BumpDependencies;
  workspaceDir: string;
  /** Clone depth; one commit is enough to commit on top of and push. */
  depth: number;
}

/** The clone a bump works in. */
export interface ClonedSync {
  opened: OpenedSync;
  url: ValidGitUrl;
  /** The build's directory (scratch for bump) and the clone inside it. */
  dir: string;
  src: string;
  commit: BuildCommit;
}

function bumpSourceOf(build: BuildRecord): { sync: string; version: string; tag?: string | undefined } {
  if (build.source.kind !== 'bump') {
    throw new KilnError('KILN_ERR_INTERNAL', `build ${build.id} is not a version sync run`);
  }
  return build.source;
}

function credentials(token: string | undefined): GitCredentials {
  return token === undefined ? {} : { token };
}

/** The evidence kept on the build record: what changed, what Nix said, what ran, what was pushed. */
export function bumpEvidence(result: BumpResult): BuildBump {
  return {
    oldVersion: result.oldVersion,
    newVersion: result.newVersion,
    hashes: result.hashes.map((h) => ({
      path: h.path,
      old: h.old ?? null,
      new: h.new,
      method: h.method,
      verified: h.verified,
    })),
    mismatches: result.mismatches.map((m) => ({ drv: m.drv, specified: m.specified, got: m.got })),
    staleHashes: [...result.staleHashes],
    outputs: [...result.outputs],
    verify: result.verify
      ? {
          command: result.verify.command,
          exitCode: result.verify.exitCode,
          output: [...result.verify.output],
        }
      : null,
    branch: result.branch?.branch ?? null,
    commit: result.branch?.commit ?? null,
    diff: result.diff,
  };
}

/**
 * The steps of a version sync's run, each driven by the executor with its own timing: `clone` the
 * repository at the sync's base ref, `bump` the file and commit it on a new branch, `push` it.
 */
export class BumpSteps {
  readonly #deps: BumpStepsDeps;

  constructor(deps: BumpStepsDeps) {
    this.#deps = deps;
  }

  async clone(build: BuildRecord, signal: AbortSignal, log: (line: string) => void): Promise<ClonedSync> {
    const source = bumpSourceOf(build);
    const opened = await this.#deps.openSync(source.sync);
    const { sync } = opened;
    const url = validateGitUrl(sync.repository, this.#deps.policy);
    await this.#checkBranchIsNew(
      url,
      renderBranch(sync.branch, sync.name, source.version),
      opened.token,
      signal,
    );
    const dir = join(this.#deps.workspaceDir, build.id);
    const src = join(dir, 'src');
    await rm(dir, { recursive: true, force: true }); // an earlier attempt's leftovers
    await mkdir(dir, { recursive: true });
    log(`kiln: version sync ${sync.name}: cloning ${url.url}${sync.ref === null ? '' : ` at ${sync.ref}`}`);
    await this.#deps.git.clone(url, sync.ref ?? undefined, src, {
      credentials: credentials(opened.token),
      depth: this.#deps.depth,
      signal,
      onLine: log,
    });
    const info: CommitInfo = await this.#deps.git.commitInfo(src);
    log(`kiln: base commit ${info.sha.slice(0, 12)} by ${info.author}: ${info.subject}`);
    return { opened, url, dir, src, commit: { ...info, branch: sync.ref } };
  }

  /** A run whose branch is on the remote already has nothing to add: it stops before any work. */
  async #checkBranchIsNew(
    url: ValidGitUrl,
    branch: string,
    token: string | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await this.#deps.git.lsRemote(url, `refs/heads/${branch}`, credentials(token), signal);
    } catch (error) {
      if (error instanceof KilnError && error.code === 'KILN_ERR_GIT_REF_NOT_FOUND') return;
      throw error;
    }
    throw new KilnError('KILN_ERR_CONFLICT', `branch '${branch}' exists in ${url.url} already`, {
      url: url.url,
      branch,
    });
  }

  /** bumpPackage on the clone, committing on the run's branch; the clone's work tree stays as it was. */
  async bump(
    build: BuildRecord,
    cloned: ClonedSync,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<BumpResult> {
    const source = bumpSourceOf(build);
    const { sync } = cloned.opened;
    const options: BumpOptions = {
      file: join(cloned.src, sync.file),
      version: source.version,
      ...(sync.entry !== null && { entry: join(cloned.src, sync.entry) }),
      ...(sync.attr !== null && { attr: sync.attr }),
      ...(sync.systems.length > 0 && { systems: sync.systems }),
      ...(sync.verify !== null && { verify: sync.verify }),
      commit: true,
      branch: renderBranch(sync.branch, sync.name, source.version),
      buildTimeoutSeconds: build.timeoutSeconds,
      signal,
      onLog: (line) => log(`bump: ${line}`),
      tmpDir: cloned.dir,
    };
    return bumpPackage(options, this.#deps.bump);
  }

  /** Pushes the new branch; an existing branch of that name on the remote is left alone (a conflict). */
  async push(
    cloned: ClonedSync,
    result: BumpResult,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<string> {
    const branch = result.branch?.branch;
    if (branch === undefined) throw new KilnError('KILN_ERR_INTERNAL', 'the bump committed nothing');
    log(`kiln: pushing ${branch} to ${cloned.url.url}`);
    await this.#deps.git.pushBranch(cloned.url, cloned.src, branch, {
      credentials: credentials(cloned.opened.token),
      signal,
      onLine: log,
    });
    log(`kiln: pushed ${branch} (${result.branch?.commit.slice(0, 12) ?? ''})`);
    return branch;
  }

  /** The run's clone and scratch files go when it ends: the branch is on the remote. */
  async dispose(build: BuildRecord): Promise<void> {
    await rm(join(this.#deps.workspaceDir, build.id), { recursive: true, force: true, maxRetries: 3 });
  }
}
