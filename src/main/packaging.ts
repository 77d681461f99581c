import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigInput, type KilnConfig } from '../config/index.js';
import {
  bumpPackage,
  prefetch,
  type BumpDependencies,
  type BumpOptions,
  type BumpResult,
  type PrefetchOptions,
  type PrefetchResult,
} from '../packaging/index.js';
import type { GitUrlPolicy } from '../git/index.js';
import { NixRunner, loadBuilders } from '../runner/nix/index.js';

/** Packaging chores on this machine, without a server: prefetch and bump. */
export interface PackagingTools {
  prefetch(source: string, options?: PrefetchOptions): Promise<PrefetchResult>;
  bump(options: BumpOptions): Promise<BumpResult>;
}

/**
 * What bump needs from Nix and the network, from a runner built with kiln's settings. On a server,
 * `gitPolicy` is the server's: a package file must not make kiln read repositories on its disk.
 */
export function bumpDependencies(runner: NixRunner, gitPolicy?: GitUrlPolicy): BumpDependencies {
  return {
    nix: runner,
    prefetch: (source, options) => prefetch(source, { ...options, ...(gitPolicy ? { gitPolicy } : {}) }),
  };
}

/**
 * The NixRunner with kiln's configured Nix, sandbox (`auto` probed), platforms, cores, jobs and
 * substituters, and the worker's own store and remote builders when it has them: the one for builds
 * and the one for packaging work are made here alike.
 */
export async function createNixRunner(config: KilnConfig): Promise<NixRunner> {
  // A bad machines line stops start-up with its line number rather than failing every build.
  const builders = await loadBuilders(config.nix.builders);
  const sandbox =
    config.nix.sandbox === 'auto'
      ? await NixRunner.probeSandbox({
          binDir: config.nix.binDir,
          sandboxShell: config.nix.sandboxShell,
          store: config.nix.store,
        })
      : config.nix.sandbox === 'true';
  return new NixRunner({
    binDir: config.nix.binDir,
    sandbox,
    sandboxShell: config.nix.sandboxShell,
    extraPlatforms: [...config.nix.extraPlatforms],
    nixPath: config.nix.nixPath,
    cores: config.nix.cores,
    maxJobs: Math.max(1, config.builds.concurrency),
    killGraceMs: config.builds.cancelGraceMs,
    substituters: config.cache.substituters,
    trustedPublicKeys: config.cache.trustedPublicKeys,
    store: config.nix.store,
    builders: builders.option,
    builderMachines: builders.machines,
    buildersUseSubstitutes: config.nix.buildersUseSubstitutes,
    sshOptions: config.nix.sshOptions,
  });
}

/** The wiring for `kiln prefetch`, `kiln bump` and the library's packaging functions. */
export function createPackagingTools(input: Partial<ConfigInput> = {}): PackagingTools {
  const config = loadConfig({ dataDir: join(tmpdir(), 'kiln-packaging'), ...input });
  let runner: Promise<NixRunner> | undefined;
  return {
    prefetch: (source, options) => prefetch(source, options),
    async bump(options) {
      runner ??= createNixRunner(config);
      return bumpPackage(options, bumpDependencies(await runner));
    },
  };
}
