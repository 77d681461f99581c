import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.js';
import { pathExists } from '../fsutil/index.js';
import {
  validateGitUrl,
  type CommitInfo,
  type GitCredentials,
  type GitUrlPolicy,
  type RemoteRef,
  type ValidGitUrl,
} from '../git/index.js';
import type { BuildCommit, BuildRecord } from '../persistence/index.js';
import type { BuildRunner } from './ports.js';
import type { GitSource, SourceCredentials } from './types.js';

/** What builds need of Git (src/git's GitClient satisfies it). */
export interface GitPort {
  lsRemote(
    url: ValidGitUrl,
    ref: string | undefined,
    credentials: GitCredentials,
    signal?: AbortSignal,
  ): Promise<RemoteRef>;
  clone(
    url: ValidGitUrl,
    ref: string | undefined,
    dir: string,
    options: {
      credentials: GitCredentials;
      depth?: number;
      submodules?: boolean;
      signal?: AbortSignal;
      onLine?: (line: string) => void;
    },
  ): Promise<{ commit: string }>;
  commitInfo(dir: string, rev?: string): Promise<CommitInfo>;
}

/** Credentials sealed at rest for the time a build needs them (SecretBox in the wiring). */
export interface CredentialSeal {
  seal(credentials: SourceCredentials, buildId: string): string;
  open(sealed: string, buildId: string): SourceCredentials;
}

export interface GitBuildsDeps {
  git: GitPort;
  policy: GitUrlPolicy;
  seal: CredentialSeal;
  /** Clone depth (at least 1). */
  depth: number;
}

/** The system a build without `--system` evaluates for: this machine's. */
export function hostSystem(): string {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return `${arch}-${process.platform}`;
}

/**
 * The flake output a build selects: a dotted path as given, a bare name as
 * `packages.<system>.<name>`, nothing as `packages.<system>.default`.
 */
export function flakeAttrPath(attr: string | undefined, system: string): string {
  if (attr === undefined || attr === '') return `packages.${system}.default`;
  return attr.includes('.') ? attr : `packages.${system}.${attr}`;
}

/**
 * What identical builds share: the same repository, commit, attribute, system and options give
 * the same derivations, so an earlier success answers for them.
 */
export function gitCacheKey(input: {
  url: string;
  commit: string;
  attr: string | undefined;
  system: string;
  env: Readonly<Record<string, string>>;
  submodules: boolean;
}): string {
  const env = Object.fromEntries(Object.entries(input.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const canonical = JSON.stringify({
    v: 1,
    url: input.url,
    commit: input.commit,
    attr: input.attr ?? null,
    system: input.system,
    env,
    submodules: input.submodules,
  });
  return `git-v1-${createHash('sha256').update(canonical).digest('hex')}`;
}

/** The branch a remote ref names, when it names one. */
export function branchOf(remote: RemoteRef, asked: string | undefined): string | null {
  if (remote.ref.startsWith('refs/heads/')) return remote.ref.slice('refs/heads/'.length);
  if (asked !== undefined && !/^[0-9a-f]{40}$/.test(asked) && !remote.ref.startsWith('refs/tags/')) {
    return asked;
  }
  return null;
}

function toGitCredentials(credentials: SourceCredentials | undefined): GitCredentials {
  return {
    ...(credentials?.token !== undefined && { token: credentials.token }),
    ...(credentials?.sshPrivateKey !== undefined && { sshPrivateKey: credentials.sshPrivateKey }),
  };
}

/** Resolves the ref at submission: checks the repository is reachable with these credentials. */
export async function resolveGitSource(
  deps: GitBuildsDeps,
  source: GitSource,
  credentials: SourceCredentials | undefined,
): Promise<{ url: ValidGitUrl; remote: RemoteRef }> {
  const url = validateGitUrl(source.url, deps.policy);
  const remote = await deps.git.lsRemote(url, source.ref, toGitCredentials(credentials));
  return { url, remote };
}

/** The worker's side: clone at the recorded commit, then evaluate to derivations. */
export class GitBuildPreparer {
  readonly #deps: GitBuildsDeps;
  readonly #runner: Pick<BuildRunner, 'instantiate'>;
  readonly #workspaceDir: string;

  constructor(deps: GitBuildsDeps, runner: Pick<BuildRunner, 'instantiate'>, workspaceDir: string) {
    this.#deps = deps;
    this.#runner = runner;
    this.#workspaceDir = workspaceDir;
  }

  /** Clones the commit the build was submitted with into DIR/src; returns the full commit info. */
  async clone(build: BuildRecord, signal: AbortSignal, log: (line: string) => void): Promise<BuildCommit> {
    const source = gitSourceOf(build);
    const sha = build.commit?.sha;
    if (sha === undefined) throw new KilnError('KILN_ERR_INTERNAL', 'a Git build without its commit');
    const src = join(this.#workspaceDir, build.id, 'src');
    await rm(src, { recursive: true, force: true }); // an earlier attempt's half-finished clone
    await mkdir(join(this.#workspaceDir, build.id), { recursive: true });
    const credentials = build.secrets === null ? {} : this.#deps.seal.open(build.secrets, build.id);
    const url = validateGitUrl(source.url, this.#deps.policy);
    log(`kiln: cloning ${url.url} at ${sha}`);
    const options = {
      credentials: toGitCredentials(credentials),
      depth: this.#deps.depth,
      submodules: source.submodules ?? false,
      signal,
      onLine: log,
    };
    // A branch clone is one git process; fetching a commit by SHA takes several. The branch is
    // used when it still points to the submitted commit, and the commit itself otherwise.
    const branch = build.commit?.branch ?? null;
    const viaBranch = branch === null ? undefined : await this.#deps.git.clone(url, branch, src, options);
    if (viaBranch?.commit !== sha) {
      if (viaBranch) {
        log(`kiln: ${branch ?? ''} moved on since the build was submitted; fetching ${sha} itself`);
        await rm(src, { recursive: true, force: true });
      }
      await this.#deps.git.clone(url, sha, src, options);
    }
    const info = await this.#deps.git.commitInfo(src);
    log(`kiln: commit ${info.sha.slice(0, 12)} by ${info.author}: ${info.subject}`);
    return { ...info, branch: build.commit?.branch ?? null };
  }

  /** Evaluates the clone: the flake output, or the attribute of default.nix. */
  async evaluate(
    build: BuildRecord,
    signal: AbortSignal,
    onLine: (stream: 'stdout' | 'stderr', text: string) => void,
  ): Promise<string[]> {
    const source = gitSourceOf(build);
    const dir = join(this.#workspaceDir, build.id);
    const src = join(dir, 'src');
    const system = build.system ?? hostSystem();
    if (await pathExists(join(src, 'flake.nix'))) {
      // The flake is read through Nix's git fetcher at the exact commit (tracked files only). The
      // reference is our own path and a hex SHA, passed as JSON rather than spliced into Nix code.
      const evalDir = join(dir, 'flake-eval');
      await mkdir(evalDir, { recursive: true });
      // Clones are shallow (`--depth`), which Nix's git fetcher accepts only when told.
      const ref = `git+file://${src}?rev=${build.commit?.sha ?? ''}&shallow=1`;
      await writeFile(join(evalDir, 'flake-ref.json'), JSON.stringify({ ref }));
      await writeFile(
        join(evalDir, 'default.nix'),
        'builtins.getFlake (builtins.fromJSON (builtins.readFile ./flake-ref.json)).ref\n',
      );
      return this.#runner.instantiate({
        file: join(evalDir, 'default.nix'),
        attr: flakeAttrPath(source.attr, system),
        system,
        env: build.env,
        workDir: evalDir,
        signal,
        onLine,
      });
    }
    if (!(await pathExists(join(src, 'default.nix')))) {
      throw new KilnError(
        'KILN_ERR_EXPR_EVAL',
        'the repository has neither a flake.nix nor a default.nix at its root: nothing to build',
      );
    }
    return this.#runner.instantiate({
      file: join(src, 'default.nix'),
      attr: source.attr,
      system,
      env: build.env,
      workDir: dir,
      signal,
      onLine,
    });
  }
}

function gitSourceOf(build: BuildRecord): GitSource {
  if (build.source.kind !== 'git')
    throw new KilnError('KILN_ERR_INTERNAL', `build ${build.id} is not from Git`);
  return build.source;
}
