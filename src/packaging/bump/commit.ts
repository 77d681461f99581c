import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { KilnError } from '../../errors/index.js';
import { runGit, type RunGitOptions } from './git-run.js';

export interface BranchCommit {
  readonly branch: string;
  readonly commit: string;
  readonly parent: string;
}

export interface CommitFileOptions {
  /** The Git work tree. */
  repo: string;
  /** The file (absolute, inside `repo`) and its new contents. */
  file: string;
  content: string;
  branch: string;
  message: string;
  author?: { name: string; email: string };
  signal?: AbortSignal;
}

const BRANCH_NAME = /^(?!.*\.\.)(?!.*\/\/)(?!\/)[A-Za-z0-9._/-]{1,200}(?<![/.])$/;

/** git's trimmed stdout (hashes, names). */
async function git(repo: string, args: string[], extra: RunGitOptions = {}): Promise<string> {
  return (await runGit(repo, args, extra)).trim();
}

/**
 * Commits one file's new contents on a new branch made from HEAD, with Git's plumbing and a
 * private index: the work tree, the index and the checked-out branch are left exactly as they
 * were. An existing branch of that name is never overwritten.
 */
export async function commitFileOnBranch(opts: CommitFileOptions): Promise<BranchCommit> {
  if (!BRANCH_NAME.test(opts.branch)) {
    throw new KilnError('KILN_ERR_VALIDATION', `'${opts.branch}' is not a usable branch name`);
  }
  const { repo, signal } = opts;
  const path = relative(repo, opts.file);
  const parent = await git(repo, ['rev-parse', '--verify', 'HEAD^{commit}'], { signal });
  const exists = await git(repo, ['branch', '--list', opts.branch], { signal });
  if (exists !== '') {
    throw new KilnError('KILN_ERR_CONFLICT', `branch '${opts.branch}' already exists in ${repo}`, {
      branch: opts.branch,
    });
  }
  const listing = await git(repo, ['ls-tree', 'HEAD', '--', path], { signal });
  const mode = /^(\d{6}) /.exec(listing)?.[1] ?? '100644';
  const blob = await git(repo, ['hash-object', '-w', '--stdin', `--path=${path}`], {
    stdin: opts.content,
    signal,
  });
  const scratch = await mkdtemp(join(tmpdir(), 'kiln-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    await git(repo, ['read-tree', 'HEAD'], { env, signal });
    await git(repo, ['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env, signal });
    const tree = await git(repo, ['write-tree'], { env, signal });
    const who = await identity(repo, opts.author);
    const commit = await git(repo, ['commit-tree', tree, '-p', parent, '-F', '-'], {
      env: who,
      stdin: opts.message,
      signal,
    });
    // The empty old value makes Git refuse if the branch appeared meanwhile.
    await git(repo, ['update-ref', `refs/heads/${opts.branch}`, commit, ''], { signal });
    return { branch: opts.branch, commit, parent };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The repository's own user.name/email when set, else the given author, else kiln. */
async function identity(
  repo: string,
  author: { name: string; email: string } | undefined,
): Promise<Record<string, string>> {
  const read = (key: string): Promise<string> => git(repo, ['config', '--get', key]).catch(() => '');
  const name = author?.name ?? ((await read('user.name')) || 'kiln');
  const email = author?.email ?? ((await read('user.email')) || 'kiln@localhost');
  return {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
  };
}
