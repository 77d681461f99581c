import { stripAnsi } from './ansi.js';
import type { HashMismatch } from './hash-mismatch.js';

/** The outcome of `nix-store --realise`, as the builds context records it. */
export type RealiseResult =
  | { status: 'succeeded'; outputs: string[] }
  | {
      status: 'failed' | 'timed_out' | 'cancelled';
      exitCode: number | null;
      reason: string;
      message: string;
      /** Fixed-output derivations whose output had another hash than declared. */
      hashMismatches?: readonly HashMismatch[];
    };

export type RealiseFailure = Exclude<RealiseResult, { status: 'succeeded' }>;

export const FAILURE_REASONS = [
  'cancelled',
  'wall-clock-timeout',
  'nix-timeout',
  'silent-timeout',
  'build-failed',
  'nix-error',
] as const;

/** How many builder lines a failure message quotes. */
export const TAIL_LINES = 20;

/**
 * Keeps the last lines of every derivation's log (and of all of them together), so a failure
 * message can quote the builder that actually failed.
 */
export class LogTail {
  readonly #limit: number;
  readonly #byDrv = new Map<string, string[]>();
  readonly #all: string[] = [];

  constructor(limit = TAIL_LINES) {
    this.#limit = limit;
  }

  add(drvPath: string | null, text: string): void {
    push(this.#all, text, this.#limit);
    if (drvPath === null) return;
    const lines = this.#byDrv.get(drvPath);
    if (lines) push(lines, text, this.#limit);
    else this.#byDrv.set(drvPath, [text]);
  }

  /** The last lines of one derivation, or of everything when it is unknown or silent. */
  lines(drvPath: string | null): { drvPath: string | null; lines: string[] } {
    const own = drvPath === null ? undefined : this.#byDrv.get(drvPath);
    if (own && own.length > 0) return { drvPath, lines: [...own] };
    return { drvPath: null, lines: [...this.#all] };
  }
}

function push(lines: string[], text: string, limit: number): void {
  lines.push(text);
  if (lines.length > limit) lines.splice(0, lines.length - limit);
}

export interface RealiseObservation {
  exitCode: number | null;
  /** Our wall-clock timer killed the process. */
  wallClockTimedOut: boolean;
  aborted: boolean;
  timeoutSeconds: number;
  /** Texts of Nix's error messages, ANSI stripped, in order. */
  errors: readonly string[];
  /** Non-JSON stderr lines (last few), for failures Nix did not describe as an error message. */
  rawTail: readonly string[];
  tail: LogTail;
}

const DRV_IN_QUOTES = /'([^'!]+\.drv)(?:![^']*)?'/;

/** Nix's exit status for build problems is 0x60 | bits: 0x04 failure, 0x01 timeout, 0x02 hash mismatch. */
function isBuildStatus(code: number | null): code is number {
  return code !== null && code >= 0x60 && code <= 0x6f;
}

/** Turns what was seen during a failed realisation into a status, a reason and a readable message. */
export function classifyFailure(obs: RealiseObservation): RealiseFailure {
  const { exitCode } = obs;
  if (obs.aborted) return { status: 'cancelled', exitCode, reason: 'cancelled', message: 'build cancelled' };

  const timeoutError = obs.errors.find((e) => /timed out after/.test(e));
  if (obs.wallClockTimedOut && timeoutError === undefined) {
    const message = describe([`build exceeded its time limit of ${obs.timeoutSeconds} seconds`], obs, null);
    return { status: 'timed_out', exitCode, reason: 'wall-clock-timeout', message };
  }
  if (timeoutError !== undefined || (isBuildStatus(exitCode) && (exitCode & 0x01) !== 0)) {
    const silent = timeoutError !== undefined && /seconds of silence/.test(timeoutError);
    const message = describe(obs.errors, obs, timeoutError ?? null);
    return { status: 'timed_out', exitCode, reason: silent ? 'silent-timeout' : 'nix-timeout', message };
  }

  const builderError = obs.errors.find((e) => /^builder for '/.test(e));
  const buildFailed =
    isBuildStatus(exitCode) ||
    builderError !== undefined ||
    obs.errors.some((e) => /failed to build/.test(e));
  const headline =
    obs.errors.length > 0
      ? obs.errors
      : [`nix-store exited with ${exitCode === null ? 'a signal' : `code ${exitCode}`}`, ...obs.rawTail];
  const message = describe(
    headline,
    obs,
    builderError ?? obs.errors.find((e) => DRV_IN_QUOTES.test(e)) ?? null,
  );
  return { status: 'failed', exitCode, reason: buildFailed ? 'build-failed' : 'nix-error', message };
}

/** The headline lines, then the last builder lines of the derivation the key error names. */
function describe(headline: readonly string[], obs: RealiseObservation, keyError: string | null): string {
  const drvPath = keyError === null ? null : (DRV_IN_QUOTES.exec(keyError)?.[1] ?? null);
  const { drvPath: shown, lines } = obs.tail.lines(drvPath);
  const parts = [headline.join('\n')];
  if (lines.length > 0) {
    const label = shown === null ? 'Last log lines' : `Last log lines of ${shown}`;
    parts.push(`${label}:\n${lines.map((l) => `> ${stripAnsi(l)}`).join('\n')}`);
  }
  return parts.join('\n\n');
}
