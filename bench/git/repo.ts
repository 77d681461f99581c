/**
 * The benchmark's Git repository: a flake whose only package echoes the contents of `nonce`, a
 * file committed to the repository, so a new commit with a new nonce is a derivation nobody built.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../cache/proc.js';

export const FLAKE_ATTR = 'packages.x86_64-linux.default';

const FLAKE = `{
  outputs = { self }: {
    packages.x86_64-linux.default = derivation {
      name = "kiln-bench-git";
      system = "x86_64-linux";
      builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      args = [ "-c" "echo \${builtins.readFile ./nonce} > $out" ];
    };
  };
}
`;

/** git isolated from the machine's and the user's configuration. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.org',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.org',
  };
}

export function git(dir: string, args: string[]): Promise<string> {
  return run('git', ['-C', dir, ...args], { env: gitEnv(dir), timeoutMs: 60_000 });
}

/** A repository with branch `main` holding the flake; commit a nonce before building it. */
export async function makeFlakeRepo(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  writeFileSync(join(dir, 'flake.nix'), FLAKE);
}

/** Commits `nonce` as the file the package echoes; returns the new commit's SHA. */
export async function commitNonce(dir: string, nonce: string): Promise<string> {
  writeFileSync(join(dir, 'nonce'), `${nonce}\n`);
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '--quiet', '-m', `nonce ${nonce}`]);
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}
