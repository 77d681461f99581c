import { isAbsolute, join } from 'node:path';
import { KilnError } from '../../errors/index.js';
import { runSupervised } from '../../process/index.js';

/** What the smoke command did, kept as evidence in the result and the commit message. */
export interface SmokeEvidence {
  readonly command: string;
  readonly exitCode: number | null;
  /** First lines of stdout and stderr together, in arrival order. */
  readonly output: string[];
  readonly timedOut: boolean;
}

const MAX_OUTPUT_LINES = 40;

/**
 * Splits a command line into words the way a shell would for plain words and quotes ('…', "…",
 * backslash escapes), without expansions: the smoke command runs without a shell.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    const next = line.charAt(i + 1);
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && next !== '' && '"\\$`'.includes(next)) {
        word += next;
        i++;
      } else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && next !== '') {
      word += next;
      inWord = true;
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) {
    throw new KilnError('KILN_ERR_VALIDATION', `the verify command has an unclosed ${quote} quote`, {
      command: line,
    });
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new KilnError('KILN_ERR_VALIDATION', 'the verify command is empty');
  return words;
}

/**
 * Runs the smoke command in `dir`, where `result` links to the built package (so
 * `result/bin/app --version` works as after nix-build). No shell, a minimal environment.
 */
export async function runSmokeCommand(
  command: string,
  dir: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<SmokeEvidence> {
  const [program, ...args] = splitCommandLine(command);
  const output: string[] = [];
  const keep = (line: string): void => {
    if (output.length < MAX_OUTPUT_LINES) output.push(line);
  };
  let result;
  try {
    result = await runSupervised({
      // `result/bin/app` is relative to the directory holding `result`; bare names use PATH.
      command: program!.includes('/') && !isAbsolute(program!) ? join(dir, program!) : program!,
      args,
      cwd: dir,
      env: { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
      timeoutMs: options.timeoutMs ?? 120_000,
      signal: options.signal,
      onStdoutLine: keep,
      onStderrLine: keep,
    });
  } catch (error) {
    throw new KilnError(
      'KILN_ERR_BUMP',
      `cannot run the verify command '${command}': ${(error as Error).message}`,
      {
        command,
      },
    );
  }
  return { command, exitCode: result.exitCode, output, timedOut: result.timedOut };
}
