import { KilnError } from '../../errors/index.js';
import { runSupervised, type SupervisedResult } from '../../process/index.js';
import type { NixInvocation } from './args.js';
import { createInternalJsonParser, type NixEvent } from './internal-json.js';

export type NixErrorEvent = Extract<NixEvent, { type: 'error' }>;

/** What a short Nix command (parse, eval, path-info, version) produced. */
export interface NixCallResult {
  process: SupervisedResult;
  stdout: string[];
  errors: NixErrorEvent[];
  /** Non-JSON stderr lines. */
  raw: string[];
}

export interface NixCallOptions {
  env: Record<string, string>;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  killGraceMs?: number | undefined;
  collectStdout?: boolean;
  maxLineChars?: number;
  /** Nix's informational messages and warnings (e.g. `builtins.trace` output). */
  onMessage?: ((text: string) => void) | undefined;
}

/** Nix appends this hint to evaluation errors; it says nothing to a kiln user. */
export function isShowTraceHint(error: NixErrorEvent): boolean {
  return error.text.startsWith("(use '--show-trace'");
}

/** Runs one Nix command to completion, collecting its output and its structured errors. */
export async function callNix(invocation: NixInvocation, opts: NixCallOptions): Promise<NixCallResult> {
  const parser = createInternalJsonParser();
  const stdout: string[] = [];
  const errors: NixErrorEvent[] = [];
  const raw: string[] = [];
  let process: SupervisedResult;
  try {
    process = await runSupervised({
      command: invocation.command,
      args: invocation.args,
      env: opts.env,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      killGraceMs: opts.killGraceMs,
      maxLineChars: opts.maxLineChars,
      onStdoutLine: opts.collectStdout ? (line) => stdout.push(line) : undefined,
      onStderrLine: (line) => {
        for (const event of parser.push(line)) {
          if (event.type === 'error') {
            if (!isShowTraceHint(event)) errors.push(event);
          } else if (event.type === 'raw') {
            if (event.text.trim() !== '') raw.push(event.text);
          } else if (event.type === 'message') {
            opts.onMessage?.(event.text);
          }
        }
      },
    });
  } catch (error) {
    throw spawnFailure(invocation, error);
  }
  return { process, stdout, errors, raw };
}

/** A Nix program could not be started at all (wrong binDir, not installed). */
export function spawnFailure(invocation: NixInvocation, error: unknown): KilnError {
  const reason = error instanceof Error ? error.message : String(error);
  return new KilnError(
    'KILN_ERR_NIX',
    `cannot run ${invocation.command}: ${reason}`,
    { command: invocation.command },
    { cause: error },
  );
}

/** The readable part of a failed call: Nix's error messages, else its stray stderr, else the exit status. */
export function failureText(call: NixCallResult, what: string): string {
  if (call.errors.length > 0) return call.errors.map((e) => e.detail).join('\n');
  if (call.raw.length > 0) return call.raw.slice(-20).join('\n');
  const { exitCode, signal } = call.process;
  return `${what} exited with ${exitCode === null ? `signal ${signal ?? 'unknown'}` : `code ${exitCode}`}`;
}
