import { KilnError } from '../../errors/index.js';
import { runSupervised } from '../../process/index.js';
import { pipeThroughProgram } from '../formats/filter-process.js';
import { parsePathInfoJson } from './plan.js';
import type { PushSource } from './types.js';

export interface NixSourceOptions {
  /** Directory of `nix` and `nix-store` (default /usr/bin). */
  binDir?: string | undefined;
  /** HOME for Nix (its caches); default /tmp. */
  home?: string | undefined;
}

const MAX_STDERR_LINES = 20;

/** Reads closures and NARs from the local Nix store with `nix path-info` and `nix-store --dump`. */
export function nixPushSource(options: NixSourceOptions = {}): PushSource {
  const binDir = options.binDir ?? '/usr/bin';
  const env: Record<string, string> = {
    PATH: `${binDir}:/usr/bin:/bin`,
    HOME: options.home ?? '/tmp',
    LANG: 'C.UTF-8',
  };
  return {
    async closure(paths, signal) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const result = await runSupervised({
        command: `${binDir}/nix`,
        args: [
          '--extra-experimental-features',
          'nix-command',
          'path-info',
          '--json',
          '--recursive',
          '--',
          ...paths,
        ],
        env,
        signal,
        onStdoutLine: (line) => stdout.push(line),
        onStderrLine: (line) => {
          if (stderr.length < MAX_STDERR_LINES) stderr.push(line);
        },
      });
      if (result.aborted) throw signal.reason;
      if (result.exitCode !== 0) {
        throw new KilnError('KILN_ERR_NIX', `nix path-info failed: ${stderr.join('\n') || 'no message'}`, {
          exitCode: result.exitCode,
        });
      }
      return parsePathInfoJson(stdout.join('\n'));
    },
    dump(path, signal) {
      return pipeThroughProgram(
        {
          command: `${binDir}/nix-store`,
          // The filter's fixed environment (PATH, LC_ALL) is all `--dump` of the local store needs.
          args: ['--dump', '--', path],
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
