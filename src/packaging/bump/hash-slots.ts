import { createHash } from 'node:crypto';
import { KilnError } from '../../errors/index.js';
import { HASH_SIZES, parseHashAlgo, parseNixHash, renderNixHash } from '../../nar/index.js';
import type { HashAlgo, NixHash } from '../../nar/index.js';

/** How a hash is written in the file, so a new value keeps the file's style. */
export type HashStyle = 'sri' | 'nix32' | 'typed-nix32' | 'hex' | 'typed-hex';

/** One fixed-output hash attribute of the file, as bump tracks it. */
export interface HashSlot {
  readonly index: number;
  /** Dotted attribute path, e.g. `src.hash` or `hashes.x86_64-linux`. */
  readonly path: string;
  readonly system: string | undefined;
  /** The literal's value before the bump; undefined when it was an expression (`lib.fakeHash`). */
  readonly old: string | undefined;
  readonly algo: HashAlgo;
  readonly style: HashStyle;
}

const ALGO_NAMES: Readonly<Record<string, HashAlgo>> = { sha1: 'sha1', sha512: 'sha512', md5: 'md5' };

/** The algorithm and style of an existing value; the attribute name decides when the value cannot. */
export function describeHash(old: string | undefined, name: string): { algo: HashAlgo; style: HashStyle } {
  const fromName = ALGO_NAMES[name] ?? 'sha256';
  if (old === undefined || old === '') return { algo: fromName, style: 'sri' };
  const sri = /^(md5|sha1|sha256|sha512)-/.exec(old);
  if (sri?.[1]) return { algo: parseHashAlgo(sri[1]), style: 'sri' };
  const typed = /^(md5|sha1|sha256|sha512):(.*)$/.exec(old);
  const algo = typed?.[1] ? parseHashAlgo(typed[1]) : fromName;
  const body = typed?.[2] ?? old;
  const hex = body.length === HASH_SIZES[algo] * 2 && /^[0-9a-f]+$/.test(body);
  if (typed) return { algo, style: hex ? 'typed-hex' : 'typed-nix32' };
  return { algo, style: hex ? 'hex' : 'nix32' };
}

/** A hash written in a slot's style. */
export function formatHash(hash: NixHash, style: HashStyle): string {
  switch (style) {
    case 'sri':
      return renderNixHash(hash, 'sri');
    case 'nix32':
      return renderNixHash(hash, 'base32', { typed: false });
    case 'typed-nix32':
      return renderNixHash(hash, 'base32');
    case 'hex':
      return renderNixHash(hash, 'hex', { typed: false });
    case 'typed-hex':
      return renderNixHash(hash, 'hex');
  }
}

/**
 * The value a pending slot gets while Nix is asked for the real hash. A lone pending slot is
 * emptied, Nix's own convention (it reports the all-zero hash as `specified`). Several pending
 * slots get distinct hashes nothing can match, so each report names exactly one slot: with all
 * of them empty, two mismatches would both say "specified: sha256-AAAA…".
 */
export function placeholderFor(slot: HashSlot, pendingCount: number): string {
  if (pendingCount <= 1) return '';
  const digest = createHash(slot.algo).update(`kiln bump placeholder ${slot.index}`).digest();
  return formatHash({ algo: slot.algo, digest: new Uint8Array(digest) }, 'sri');
}

/** A value from the file or from Nix as a hash; `""` is Nix's all-zero fake hash. Null if not a hash. */
export function readHash(text: string | undefined | null, algo: HashAlgo): NixHash | null {
  if (text === undefined || text === null) return null;
  try {
    return parseNixHash(text, { algo, allowEmpty: true });
  } catch {
    try {
      return parseNixHash(text, { allowEmpty: false });
    } catch {
      return null;
    }
  }
}

export function sameHash(a: NixHash | null, b: NixHash | null): boolean {
  return a !== null && b !== null && a.algo === b.algo && Buffer.from(a.digest).equals(Buffer.from(b.digest));
}

/** Nix's `hashAlgo` in show-derivation JSON (`r:sha256`, `sha256`) and hex `hash`, as a hash. */
export function derivationOutputHash(hashAlgo: unknown, hash: unknown): NixHash | null {
  if (typeof hashAlgo !== 'string' || typeof hash !== 'string' || hash === '') return null;
  const algo = hashAlgo.replace(/^(r:|git:|text:)/, '');
  try {
    return parseNixHash(hash, { algo: parseHashAlgo(algo) });
  } catch {
    return null;
  }
}

export function bumpError(message: string, details?: Record<string, unknown>): KilnError {
  return new KilnError('KILN_ERR_BUMP', message, details);
}
