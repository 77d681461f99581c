import { mkdir, readdir, rm } from 'node:fs/promises';
import { KilnError } from '../errors/index.js';
import { runSupervised } from '../process/index.js';
import { classifyGitFailure, refNotFound } from './classify.js';
import { lsRemotePatterns, parseLsRemote, resolveFromListing } from './ls-remote.js';
import {
  baseEnv,
  makePrivateDir,
  openSession,
  protocolConfig,
  type GitCredentials,
  type GitSession,
} from './session.js';
import { isFullSha, validateGitRef } from './validate-ref.js';
import type { ValidGitUrl } from './validate-url.js';

export interface GitClientOptions {
  /** The git executable (default `git`, looked up in PATH). */
  gitBin?: string;
  /** The ssh executable git runs for ssh URLs (default `ssh`). */
  sshBin?: string;
  /** The known hosts ssh checks host keys against; without it every ssh host is refused. */
  knownHostsFile?: string;
  /** Wall-clock limit of each git call (default 10 minutes). */
  timeoutMs?: number;
}

/** commit = 40-hex SHA; ref = the full refname it was found under, or the SHA itself. */
export interface RemoteRef {
  commit: string;
  ref: string;
}

export interface CommitInfo {
  sha: string;
  author: string;
  authorEmail: string;
  /** Author date, ISO 8601 with offset. */
  date: string;
  subject: string;
}

export interface CloneOptions {
  credentials: GitCredentials;
  /** History depth (default 1). */
  depth?: number;
  submodules?: boolean;
  signal?: AbortSignal;
  /** git's output lines (progress, warnings), with any token redacted. */
  onLine?: (line: string) => void;
}

export interface PushOptions {
  credentials: GitCredentials;
  signal?: AbortSignal;
  /** git's output lines, with any token redacted. */
  onLine?: (line: string) => void;
}

interface RunOptions {
  url: string;
  ref?: string;
  cwd?: string;
  signal?: AbortSignal | undefined;
  onLine?: ((line: string) => void) | undefined;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const MAX_STDERR_LINES = 200;
const FIELD = '%x1f';

/** Runs git for ls-remote, clone and log: argument arrays, explicit env, hardened protocols. */
export class GitClient {
  readonly #gitBin: string;
  readonly #sshBin: string;
  readonly #knownHostsFile: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: GitClientOptions = {}) {
    this.#gitBin = options.gitBin ?? 'git';
    this.#sshBin = options.sshBin ?? 'ssh';
    this.#knownHostsFile = options.knownHostsFile;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Resolves `ref` (default: the remote HEAD) with `git ls-remote`. A full SHA is accepted as is only after checking the repository is reachable. */
  async lsRemote(
    url: ValidGitUrl,
    ref: string | undefined,
    credentials: GitCredentials,
    signal?: AbortSignal,
  ): Promise<RemoteRef> {
    const wanted = ref === undefined ? undefined : validateGitRef(ref);
    return this.#withSession(url, credentials, async (session) => {
      const remote = remoteArgument(url);
      const run = { url: url.url, ...(wanted !== undefined && { ref: wanted }), signal };
      if (wanted !== undefined && isFullSha(wanted)) {
        // Servers do not list arbitrary commits; the clone finds out whether this one exists.
        await this.#run(session, ['ls-remote', '--', remote, 'HEAD'], run);
        return { commit: wanted, ref: wanted };
      }
      const patterns = lsRemotePatterns(wanted ?? 'HEAD');
      const stdout = await this.#run(session, ['ls-remote', '--symref', '--', remote, ...patterns], run);
      const found = resolveFromListing(parseLsRemote(stdout), wanted);
      if (found === null) throw refNotFound(url.url, wanted);
      return found;
    });
  }

  /** Shallow (depth default 1) single-branch clone of `ref` into `dir` (must not exist or be empty); full SHAs supported (fetch by SHA with depth); optional submodules. */
  async clone(
    url: ValidGitUrl,
    ref: string | undefined,
    dir: string,
    options: CloneOptions,
  ): Promise<{ commit: string }> {
    const wanted = ref === undefined ? undefined : validateGitRef(ref);
    const depth = options.depth ?? 1;
    if (!Number.isSafeInteger(depth) || depth < 1) {
      throw new KilnError('KILN_ERR_VALIDATION', `clone depth must be a positive integer, not ${depth}`);
    }
    const created = await prepareEmptyDir(dir);
    try {
      return await this.#withSession(url, options.credentials, async (session) => {
        const run = {
          url: url.url,
          ...(wanted !== undefined && { ref: wanted }),
          signal: options.signal,
          onLine: options.onLine,
        };
        const branch = wanted === undefined ? undefined : cloneBranchName(wanted);
        if (branch !== null) await this.#cloneBranch(session, url, branch, dir, depth, options, run);
        else await this.#fetchExact(session, url, wanted ?? 'HEAD', dir, depth, options, run);
        const [commit = ''] = await this.#run(session, ['rev-parse', '--verify', 'HEAD^{commit}'], {
          ...run,
          cwd: dir,
        });
        return { commit: commit.trim() };
      });
    } catch (error) {
      // A half-made checkout must not be mistaken for a good one; only what we created is removed.
      if (created) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      else await emptyDir(dir);
      throw error;
    }
  }

  /**
   * Pushes the local branch `branch` of the repository in `dir` to a branch of the same name on the
   * remote, with the same credential handling as clone (askpass, never argv). Never forced: a
   * branch that exists on the remote already is a KILN_ERR_CONFLICT and nothing is pushed.
   */
  async pushBranch(url: ValidGitUrl, dir: string, branch: string, options: PushOptions): Promise<void> {
    const name = validateGitRef(branch);
    if (name.startsWith('refs/') || name === 'HEAD' || isFullSha(name)) {
      throw new KilnError('KILN_ERR_VALIDATION', `'${name}' is not a branch name to push`);
    }
    const ref = `refs/heads/${name}`;
    await this.#withSession(url, options.credentials, async (session) => {
      const run = { url: url.url, ref: name, cwd: dir, signal: options.signal, onLine: options.onLine };
      const remote = remoteArgument(url);
      const existing = await this.#run(session, ['ls-remote', '--', remote, ref], run);
      if (existing.some((line) => line.trim() !== '')) {
        throw new KilnError('KILN_ERR_CONFLICT', `branch '${name}' exists in ${url.url} already`, {
          url: url.url,
          branch: name,
        });
      }
      await this.#run(session, ['push', '--no-verify', '--', remote, `${ref}:${ref}`], run);
    });
  }

  async commitInfo(dir: string, rev = 'HEAD'): Promise<CommitInfo> {
    const wanted = validateGitRef(rev);
    const home = await makePrivateDir();
    try {
      const session: GitSession = {
        env: baseEnv(home),
        configArgs: [...protocolConfig(false), '-c', `safe.directory=${dir}`],
        redact: (text) => text,
        dispose: () => Promise.resolve(),
      };
      const format = ['%H', '%an', '%ae', '%aI', '%s'].join(FIELD);
      const stdout = await this.#run(
        session,
        ['log', '-1', '--no-show-signature', `--format=${format}`, '--end-of-options', wanted, '--'],
        { url: dir, ref: wanted, cwd: dir },
      );
      const [sha = '', author = '', authorEmail = '', date = '', subject = ''] = (stdout[0] ?? '').split(
        '\x1f',
      );
      if (!isFullSha(sha))
        throw new KilnError('KILN_ERR_GIT', `git log printed no commit for ${wanted} in ${dir}`);
      return { sha, author, authorEmail, date, subject };
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }

  /** `git clone --depth N --single-branch [--branch B]`: the common case, one round trip. */
  async #cloneBranch(
    session: GitSession,
    url: ValidGitUrl,
    branch: string | undefined,
    dir: string,
    depth: number,
    options: CloneOptions,
    run: RunOptions,
  ): Promise<void> {
    const args = ['clone', '--no-local', `--depth=${depth}`, '--single-branch'];
    if (branch !== undefined) args.push(`--branch=${branch}`);
    if (options.submodules) args.push('--recurse-submodules', '--shallow-submodules');
    await this.#run(session, [...args, '--', remoteArgument(url), dir], run);
  }

  /** A commit or an unusual ref (refs/pull/1/head): init, fetch exactly it with depth, check it out. */
  async #fetchExact(
    session: GitSession,
    url: ValidGitUrl,
    ref: string,
    dir: string,
    depth: number,
    options: CloneOptions,
    run: RunOptions,
  ): Promise<void> {
    const inDir = { ...run, cwd: dir };
    await this.#run(session, ['init', '--quiet', '--', dir], run);
    await this.#run(session, ['remote', 'add', '--', 'origin', remoteArgument(url)], inDir);
    await this.#run(session, ['fetch', '--no-tags', `--depth=${depth}`, '--', 'origin', ref], inDir);
    await this.#run(
      session,
      ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', 'FETCH_HEAD'],
      inDir,
    );
    if (options.submodules) {
      await this.#run(session, ['submodule', 'update', '--init', '--recursive', '--depth=1', '--'], inDir);
    }
  }

  async #withSession<T>(
    url: ValidGitUrl,
    credentials: GitCredentials,
    fn: (session: GitSession) => Promise<T>,
  ): Promise<T> {
    const session = await openSession(url, credentials, {
      sshBin: this.#sshBin,
      allowFile: url.kind === 'file',
      ...(this.#knownHostsFile !== undefined && { knownHostsFile: this.#knownHostsFile }),
    });
    try {
      return await fn(session);
    } finally {
      await session.dispose();
    }
  }

  /** One git call; returns stdout lines or throws a classified KilnError with redacted stderr. */
  async #run(session: GitSession, args: readonly string[], opts: RunOptions): Promise<string[]> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    let result;
    try {
      result = await runSupervised({
        command: this.#gitBin,
        args: [...session.configArgs, ...args],
        env: session.env,
        ...(opts.cwd !== undefined && { cwd: opts.cwd }),
        ...(opts.signal !== undefined && { signal: opts.signal }),
        timeoutMs: this.#timeoutMs,
        onStdoutLine: (line) => stdout.push(line),
        onStderrLine: (raw) => {
          const line = session.redact(raw);
          stderr.push(line);
          if (stderr.length > MAX_STDERR_LINES) stderr.shift();
          opts.onLine?.(line);
        },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new KilnError('KILN_ERR_GIT', `cannot run ${this.#gitBin}: ${session.redact(reason)}`);
    }
    if (result.aborted) {
      opts.signal?.throwIfAborted();
      throw new KilnError('KILN_ERR_GIT', 'git was cancelled');
    }
    if (result.exitCode !== 0 || result.timedOut) {
      throw classifyGitFailure({
        url: opts.url,
        ...(opts.ref !== undefined && { ref: opts.ref }),
        stderr,
        exitCode: result.exitCode,
        timedOut: result.timedOut,
        timeoutMs: this.#timeoutMs,
      });
    }
    return stdout;
  }
}

/**
 * What git is given as the remote: absolute paths become file:// URLs so --depth applies and git
 * does not hard-link the source repository's objects.
 */
function remoteArgument(url: ValidGitUrl): string {
  return url.kind === 'file' && url.url.startsWith('/') ? `file://${url.url}` : url.url;
}

/**
 * The `--branch` value for refs clone can take directly (undefined: the remote HEAD), or null
 * when the ref needs an exact fetch (a commit, or a ref outside refs/heads and refs/tags).
 */
function cloneBranchName(ref: string): string | undefined | null {
  if (isFullSha(ref)) return null;
  if (ref === 'HEAD') return undefined;
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  if (ref.startsWith('refs/tags/')) return ref.slice('refs/tags/'.length);
  if (ref.startsWith('refs/')) return null;
  return ref;
}

/** Creates `dir` if missing (returns true) or checks it is empty; git clones only into empty dirs. */
async function prepareEmptyDir(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    return true;
  }
  if (entries.length > 0) throw new KilnError('KILN_ERR_INTERNAL', `clone target ${dir} is not empty`);
  return false;
}

async function emptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => []);
  await Promise.all(
    entries.map((name) => rm(`${dir}/${name}`, { recursive: true, force: true, maxRetries: 3 })),
  );
}
