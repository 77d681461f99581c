import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  GitClient,
  validateGitUrl,
  type GitClientOptions,
  type GitCredentials,
  type GitUrlPolicy,
} from '../../git/index.js';

export interface GitCheckoutOptions {
  git?: GitClient;
  policy: GitUrlPolicy;
  credentials?: GitCredentials;
  signal?: AbortSignal;
}

/**
 * Checks out `rev` of `url` into `dir` and removes `.git`, leaving the tree nixpkgs' fetchgit
 * hashes (no .git, no submodules). Returns the commit the rev resolved to.
 */
export async function checkoutGitTree(
  url: string,
  rev: string,
  dir: string,
  options: GitCheckoutOptions,
): Promise<string> {
  const valid = validateGitUrl(url, options.policy);
  const git = options.git ?? new GitClient(userKnownHosts());
  const { commit } = await git.clone(valid, rev, dir, {
    credentials: options.credentials ?? {},
    depth: 1,
    ...(options.signal && { signal: options.signal }),
  });
  await rm(join(dir, '.git'), { recursive: true, force: true });
  return commit;
}

/**
 * Without a client given, prefetch runs for the user on their machine: ssh hosts are checked
 * against their known_hosts (GitClient otherwise trusts no ssh host).
 */
function userKnownHosts(): GitClientOptions {
  const file = join(homedir(), '.ssh', 'known_hosts');
  return existsSync(file) ? { knownHostsFile: file } : {};
}
