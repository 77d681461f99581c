import { KilnError } from '../../errors/index.js';
import { runSupervised } from '../../process/index.js';

export interface PathInfoQueryOptions {
  /** Directory of `nix` (default /usr/bin). */
  binDir?: string | undefined;
  /** HOME for Nix (its caches); default /tmp. */
  home?: string | undefined;
  /** Nix's `--store` (a worker's own store); absent or empty: the machine's. */
  store?: string | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_STDERR_LINES = 20;

/**
 * `nix path-info --json --recursive PATHS` against the local store (or `options.store`): the JSON text, for the caller's
 * parser (a push needs hashes and signatures, an image the graph). Fails with KILN_ERR_NIX and
 * Nix's first lines of complaint.
 */
export async function queryPathInfoJson(
  paths: readonly string[],
  options: PathInfoQueryOptions = {},
): Promise<string> {
  const binDir = options.binDir ?? '/usr/bin';
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
      ...(options.store ? ['--store', options.store] : []),
      '--',
      ...paths,
    ],
    env: { PATH: `${binDir}:/usr/bin:/bin`, HOME: options.home ?? '/tmp', LANG: 'C.UTF-8' },
    signal: options.signal,
    onStdoutLine: (line) => stdout.push(line),
    onStderrLine: (line) => {
      if (stderr.length < MAX_STDERR_LINES) stderr.push(line);
    },
  });
  if (result.aborted)
    throw options.signal?.reason ?? new KilnError('KILN_ERR_NIX', 'nix path-info was aborted');
  if (result.exitCode !== 0) {
    throw new KilnError('KILN_ERR_NIX', `nix path-info failed: ${stderr.join('\n') || 'no message'}`, {
      exitCode: result.exitCode,
    });
  }
  return stdout.join('\n');
}
