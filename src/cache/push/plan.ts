import { KilnError } from '../../errors/index.js';
import { parseNixHash, parseStorePath, renderNixHash } from '../../nar/index.js';
import type { PushPathInfo } from './types.js';

/** The server answers at most this many hashes per missing-paths request. */
export const MISSING_BATCH = 1000;

/** `items` in consecutive slices of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('batch size must be an integer >= 1');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The 32-character hash part of a store path, the name of its narinfo. */
export function hashPartOf(path: string): string {
  return parseStorePath(path).hashPart;
}

/** `sha256:<nix32>` from any form Nix prints (2.8's JSON uses SRI). */
export function nix32NarHash(text: string): string {
  return renderNixHash(parseNixHash(text, { algo: 'sha256' }), 'base32');
}

/**
 * Reads `nix path-info --json` output: an array of `{path, narHash, …}` (Nix 2.8) or an object
 * keyed by path (Nix 2.19 and later). Paths Nix reports as invalid (null) are an error.
 */
export function parsePathInfoJson(json: string): PushPathInfo[] {
  const parsed: unknown = JSON.parse(json);
  let entries: [string, unknown][];
  if (Array.isArray(parsed)) {
    entries = parsed.map((info: unknown) => [String((info as { path?: unknown } | null)?.path), info]);
  } else if (typeof parsed === 'object' && parsed !== null) {
    entries = Object.entries(parsed);
  } else {
    throw invalid('nix path-info printed neither an array nor an object');
  }
  return entries.map(([path, raw]) => {
    if (raw === null || typeof raw !== 'object') throw invalid(`${path} is not a valid store path`);
    const info = raw as Record<string, unknown>;
    const { narHash, narSize, references, deriver, ca, signatures } = info;
    if (typeof narHash !== 'string') throw invalid(`no narHash for ${path}`);
    if (typeof narSize !== 'number' || !Number.isSafeInteger(narSize) || narSize <= 0) {
      throw invalid(`no narSize for ${path}`);
    }
    if (!isStringArray(references)) throw invalid(`no references for ${path}`);
    hashPartOf(path);
    return {
      path,
      narHash: nix32NarHash(narHash),
      narSize,
      references: [...references],
      deriver: typeof deriver === 'string' && deriver !== '' ? deriver : undefined,
      ca: typeof ca === 'string' && ca !== '' ? ca : undefined,
      signatures: isStringArray(signatures) ? [...signatures] : [],
    };
  });
}

/**
 * `infos` ordered so that every path comes after the paths it references (self-references and
 * references outside `infos` do not count): the order narinfos may be uploaded in, since the
 * server refuses a narinfo whose references it does not have yet. Deterministic (a depth-first
 * walk in input order). A reference cycle (impossible in a Nix store) is reported, not looped on.
 */
export function topologicalOrder(infos: readonly PushPathInfo[]): PushPathInfo[] {
  const byPath = new Map(infos.map((info) => [info.path, info]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: PushPathInfo[] = [];
  // Iterative depth-first walk: closures can be deep (long chains of references).
  for (const root of infos) {
    if (state.has(root.path)) continue;
    const stack: { info: PushPathInfo; next: number }[] = [{ info: root, next: 0 }];
    state.set(root.path, 'visiting');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const refs = frame.info.references;
      if (frame.next < refs.length) {
        const ref = refs[frame.next++]!;
        if (ref === frame.info.path) continue;
        const target = byPath.get(ref);
        if (!target) continue;
        const seen = state.get(ref);
        if (seen === 'visiting') throw invalid(`reference cycle through ${ref}`);
        if (seen === 'done') continue;
        state.set(ref, 'visiting');
        stack.push({ info: target, next: 0 });
        continue;
      }
      state.set(frame.info.path, 'done');
      out.push(frame.info);
      stack.pop();
    }
  }
  return out;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function invalid(message: string): KilnError {
  return new KilnError('KILN_ERR_NIX', message);
}
