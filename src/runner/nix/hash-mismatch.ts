import { stripAnsi } from './ansi.js';

/** One fixed-output derivation whose output did not have the hash it declared. */
export interface HashMismatch {
  /** The .drv path Nix named. */
  readonly drv: string;
  /** The hash the derivation declared, as Nix printed it (SRI on Nix >= 2.4). */
  readonly specified: string;
  /** The hash of what the builder actually produced. */
  readonly got: string;
}

/*
 * Nix's message (libstore derivation-goal / derivation-check), on one line or several:
 *   hash mismatch in fixed-output derivation '/nix/store/…-x.drv':
 *     specified: sha256-…
 *        got:    sha256-…
 * In the structured log it arrives as one `msg` with ANSI colours; on a plain terminal as text
 * lines, maybe prefixed by `error:`. Both forms go through here after ANSI codes are stripped.
 */
const MISMATCH =
  /hash mismatch in fixed-output derivation '([^'\s]+\.drv)(?:![^']*)?':\s*specified:\s*(\S+)\s+got:\s*(\S+)/g;

/**
 * Every hash mismatch in Nix's error output: the structured messages' texts, or raw stderr (one
 * string or lines, which are joined so a message split over lines is still found). Each
 * derivation is reported once, the first time.
 */
export function parseHashMismatches(texts: string | readonly string[]): HashMismatch[] {
  const joined = stripAnsi(typeof texts === 'string' ? texts : texts.join('\n'));
  const found = new Map<string, HashMismatch>();
  for (const match of joined.matchAll(MISMATCH)) {
    const [, drv, specified, got] = match;
    if (drv && specified && got && !found.has(drv)) found.set(drv, { drv, specified, got });
  }
  return [...found.values()];
}
