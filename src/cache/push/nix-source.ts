import { KilnError } from '../../errors/index.js';
import { queryPathInfoJson } from '../../runner/nix/index.js';
import { pipeThroughProgram } from '../../compression/index.js';
import { parsePathInfoJson } from './plan.js';
import type { PushSource } from './types.js';

export interface NixSourceOptions {
  /** Directory of `nix` and `nix-store` (default /usr/bin). */
  binDir?: string | undefined;
  /** HOME for Nix (its caches); default /tmp. */
  home?: string | undefined;
  /** Nix's `--store` (a worker's own store); absent or empty: the machine's. */
  store?: string | undefined;
}

/** Reads closures and NARs from the local Nix store with `nix path-info` and `nix-store --dump`. */
export function nixPushSource(options: NixSourceOptions = {}): PushSource {
  const binDir = options.binDir ?? '/usr/bin';
  return {
    async closure(paths, signal) {
      return parsePathInfoJson(
        await queryPathInfoJson(paths, { binDir, home: options.home, store: options.store, signal }),
      );
    },
    dump(path, signal) {
      return pipeThroughProgram(
        {
          command: options.store ? `${binDir}/nix` : `${binDir}/nix-store`,
          // The filter's fixed environment (PATH, LC_ALL) is all `--dump` of the local store needs.
          // `nix-store --dump` reads the file system path itself, which in a chroot store lives
          // under its root: `nix store dump-path --store` asks the store for the NAR instead.
          args: options.store
            ? [
                '--extra-experimental-features',
                'nix-command',
                'store',
                'dump-path',
                '--store',
                options.store,
                '--',
                path,
              ]
            : ['--dump', '--', path],
          failure: ({ exitCode, stderr }) =>
            new KilnError('KILN_ERR_NIX', `nix-store --dump ${path} failed: ${stderr || 'no message'}`, {
              exitCode,
            }),
        },
        (async function* () {})(),
        signal,
      );
    },
  };
}
