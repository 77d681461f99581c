import { KilnError } from '../../errors/index.js';
import { runSupervised } from '../../process/index.js';

export interface RunGitOptions {
  /** Added to the fixed environment (e.g. GIT_INDEX_FILE, the author). */
  env?: Record<string, string>;
  stdin?: string;
  signal?: AbortSignal;
  /** For `-z` listings, which arrive as one long line. */
  maxLineChars?: number;
}

/**
 * Runs the real git in `repo` with no system or global configuration, returning its stdout
 * (lines joined with "\n", not trimmed); a non-zero exit is KILN_ERR_GIT with git's message.
 */
export async function runGit(
  repo: string,
  args: readonly string[],
  opts: RunGitOptions = {},
): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const result = await runSupervised({
    command: 'git',
    args: ['-C', repo, ...args],
    env: { PATH: '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent', LANG: 'C', ...opts.env },
    stdin: opts.stdin,
    signal: opts.signal,
    maxLineChars: opts.maxLineChars,
    onStdoutLine: (line) => out.push(line),
    onStderrLine: (line) => err.push(line),
  });
  if (result.exitCode !== 0) {
    throw new KilnError(
      'KILN_ERR_GIT',
      `git ${args[0]} failed: ${err.join(' ').trim() || `exit ${result.exitCode}`}`,
    );
  }
  return out.join('\n');
}
