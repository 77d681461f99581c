import { spawn } from 'node:child_process';
import { KilnError } from '../errors/index.js';
import { killProcessTree, processStartTime } from '../process/index.js';
import { feed } from './stream-feed.js';

export interface FilterProgram {
  /** Looked up in the fixed PATH below, never run through a shell. */
  command: string;
  args: readonly string[];
  /** The error for a non-zero exit (e.g. "not valid xz data"); gets the exit status and stderr. */
  failure: (details: { exitCode: number | null; signal: string | null; stderr: string }) => KilnError;
}

// process.env is not inherited: only what the compressors need, nothing from kiln's secrets.
const FILTER_ENV: Readonly<Record<string, string>> = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };
const MAX_STDERR = 2048;
const KILL_GRACE_MS = 500;

/**
 * Pipes `source` through a filter program (stdin → stdout), like runSupervised but for byte
 * streams, which runSupervised cannot carry (it splits output into lines). Same rules: argument
 * array, explicit environment, own process group, and the tree killed on abort or when the
 * consumer stops reading early. The child is spawned only when iteration starts.
 */
export async function* pipeThroughProgram(
  program: FilterProgram,
  source: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  signal?.throwIfAborted();
  const child = spawn(program.command, [...program.args], {
    env: { ...FILTER_ENV },
    detached: true,
    shell: false,
    windowsHide: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const startTime = child.pid === undefined ? null : processStartTime(child.pid);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    // Only a failure to start matters; later errors (kill on a reaped pid) are moot.
    if (child.pid !== undefined) return;
    spawnError = error;
    child.stdout.destroy(error);
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < MAX_STDERR) stderr = (stderr + text).slice(0, MAX_STDERR);
  });
  child.stderr.on('error', () => undefined);
  // The child may exit without reading all input (corrupt data); EPIPE is expected then.
  child.stdin.on('error', () => undefined);

  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort();
    child.stdout.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let sourceFailure: { error: unknown } | undefined;
  // Not awaited on early exit: a slow source must not keep the consumer waiting; feed never rejects.
  void feed(source, child.stdin, stop.signal).then((failure) => {
    if (failure === undefined) return;
    sourceFailure = failure;
    stop.abort();
    child.stdout.destroy();
  });

  try {
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (sourceFailure) throw sourceFailure.error;
      if (spawnError) throw unavailable(program.command, spawnError);
      throw error;
    }
    if (sourceFailure) throw sourceFailure.error;
    const exit = await exited;
    if (exit.code !== 0)
      throw program.failure({ exitCode: exit.code, signal: exit.signal, stderr: stderr.trim() });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      await killProcessTree(child.pid, startTime ?? undefined, { graceMs: KILL_GRACE_MS });
      await exited;
    }
    child.stdin.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
  }
}

function unavailable(command: string, cause: Error): KilnError {
  return new KilnError(
    'KILN_ERR_UNAVAILABLE',
    `cannot run '${command}'; is it installed? (scripts/setup.sh installs it)`,
    { command },
    { cause },
  );
}
