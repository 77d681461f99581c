import type { HashMismatch } from '../../runner/nix/index.js';
import type { BranchCommit } from './commit.js';
import type { SmokeEvidence } from './smoke.js';

export interface BumpOptions {
  /** The .nix file to edit. */
  file: string;
  version: string;
  /** The .nix file that evaluates to the package (default: `file`); a function is called with `{}`. */
  entry?: string;
  /** Attribute path of the package inside the entry's value. */
  attr?: string;
  /** Systems to build and verify on (default: this machine's). Per-system source hashes of other systems are prefetched all the same. */
  systems?: readonly string[];
  /** Smoke command run next to `result` after the build, e.g. `result/bin/app --version`. */
  verify?: string;
  /** Commit the change on a new branch (made from HEAD) instead of writing the file. */
  commit?: boolean;
  /** Branch name for `commit` (default `kiln/bump-<name>-<version>`). */
  branch?: string;
  /** Compute everything and return the diff; write nothing. */
  dryRun?: boolean;
  /** Most build rounds spent discovering hashes (default: number of hashes + 3). */
  maxRounds?: number;
  /** Per-build Nix timeout (default 1800 s). */
  buildTimeoutSeconds?: number;
  signal?: AbortSignal;
  /** Progress lines, as they happen. */
  onLog?: (line: string) => void;
  /** Parent of the private workspace (default: the OS temp dir). */
  tmpDir?: string;
}

/** How a hash got its new value. */
export type HashMethod = 'prefetch' | 'nix' | 'unchanged';

export interface HashChange {
  /** Dotted attribute path in the file, e.g. `src.hash`, `hashes.x86_64-linux`, `vendorHash`. */
  readonly path: string;
  readonly system: string | undefined;
  readonly old: string | undefined;
  readonly new: string;
  readonly method: HashMethod;
  /** For prefetched hashes, what was fetched. */
  readonly source?: string;
  /** The fixed-output derivation that produces this hash, when known. */
  readonly drv?: string;
  /** Checked by Nix against a fresh fetch (the stale-hash guard). */
  readonly verified: boolean;
  /** Why it was left alone, for unchanged hashes. */
  readonly note?: string;
}

export interface BumpResult {
  readonly file: string;
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly hashes: readonly HashChange[];
  /** Every mismatch Nix reported on the way, in order: `{drv, specified, got}`. */
  readonly mismatches: readonly HashMismatch[];
  /** Hashes the stale-hash guard found wrong and corrected. */
  readonly staleHashes: readonly string[];
  readonly outputs: readonly string[];
  readonly systems: readonly string[];
  readonly verify?: SmokeEvidence;
  readonly diff: string;
  /** The file's new contents. */
  readonly content: string;
  /** The file was written in place. */
  readonly written: boolean;
  readonly branch?: BranchCommit;
  readonly message: string;
}
