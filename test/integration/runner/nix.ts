import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NixRunner, type NixEvent, type RealiseOptions } from '../../../src/runner/nix/index.js';

export const BIN_DIR = '/usr/bin';
export const SANDBOX_SHELL = '/bin/busybox';

let sandboxWorks: Promise<boolean> | undefined;

/** Whether this machine builds in the sandbox; probed once per test file. */
export function sandboxAvailable(): Promise<boolean> {
  sandboxWorks ??= NixRunner.probeSandbox({ binDir: BIN_DIR, sandboxShell: SANDBOX_SHELL });
  return sandboxWorks;
}

export async function makeRunner(
  overrides: Partial<ConstructorParameters<typeof NixRunner>[0]> = {},
): Promise<NixRunner> {
  return new NixRunner({
    binDir: BIN_DIR,
    sandbox: await sandboxAvailable(),
    sandboxShell: SANDBOX_SHELL,
    extraPlatforms: ['i686-linux'],
    cores: 1,
    maxJobs: 2,
    killGraceMs: 1000,
    ...overrides,
  });
}

/** Nix source of a busybox-shell derivation; `nonce` makes it new, so it really builds. */
export function drv(
  name: string,
  script: string,
  opts: { system?: string; nonce: string; extra?: string },
): string {
  const system = opts.system === undefined ? '"x86_64-linux"' : opts.system;
  return (
    `derivation { name = ${JSON.stringify(name)}; system = ${system}; builder = "/bin/sh"; ` +
    `PATH = "/usr/bin:/bin"; nonce = ${JSON.stringify(opts.nonce)}; ` +
    `args = [ "-c" ${JSON.stringify(script)} ]; ${opts.extra ?? ''} }`
  );
}

export function writeExpr(dir: string, source: string, file = 'default.nix'): string {
  const path = join(dir, file);
  writeFileSync(path, `${source}\n`);
  return path;
}

/** Realise options that record everything the runner reports. */
export function recorder(): {
  events: NixEvent[];
  lines: { stream: string; text: string }[];
  spawns: { pid: number; startTime: string }[];
  options: Pick<RealiseOptions, 'onEvent' | 'onLine' | 'onSpawn'>;
} {
  const events: NixEvent[] = [];
  const lines: { stream: string; text: string }[] = [];
  const spawns: { pid: number; startTime: string }[] = [];
  return {
    events,
    lines,
    spawns,
    options: {
      onEvent: (e) => events.push(e),
      onLine: (stream, text) => lines.push({ stream, text }),
      onSpawn: (pid, startTime) => spawns.push({ pid, startTime }),
    },
  };
}
