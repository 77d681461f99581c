import { spawnSync } from 'node:child_process';

/** The environment the real Nix runs with in these tests: nothing inherited but what it needs. */
function nixEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NIX_PATH: '' };
}

export interface NixRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `nix-instantiate --parse FILE…`: exit 0 only when Nix accepts every file. */
export function nixParseFiles(files: readonly string[]): NixRun {
  const run = spawnSync('nix-instantiate', ['--parse', ...files], {
    env: nixEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `nix-instantiate --eval --strict --json FILE`: the JSON value of the file. */
export function nixEvalJson(file: string): unknown {
  const run = spawnSync('nix-instantiate', ['--eval', '--strict', '--json', file], {
    env: nixEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`nix-instantiate --eval failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}
