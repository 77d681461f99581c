/** The baseline: what a user does by hand, `git clone --depth 1` then `nix build` of the flake output. */
import { rmSync } from 'node:fs';
import { run, time } from '../cache/proc.js';
import { FLAKE_ATTR, gitEnv } from './repo.js';

const NIX_FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

export interface ByHandTimes {
  clone: number;
  build: number;
  total: number;
}

/** Clones REPO at its default branch into DIR and builds the commit SHA's package; milliseconds. */
export async function buildByHand(repo: string, sha: string, dir: string): Promise<ByHandTimes> {
  rmSync(dir, { recursive: true, force: true });
  const env = gitEnv(dir);
  const clone = await time(() =>
    run('git', ['clone', '--quiet', '--depth', '1', `file://${repo}`, dir], { env, timeoutMs: 60_000 }),
  );
  const build = await time(() =>
    run(
      'nix',
      [...NIX_FEATURES, 'build', '--no-link', `git+file://${dir}?rev=${sha}&shallow=1#${FLAKE_ATTR}`],
      { env: process.env, timeoutMs: 300_000 },
    ),
  );
  return { clone, build, total: clone + build };
}
