import { KilnError } from '../errors/index.js';
import { queryPathInfoJson } from '../runner/nix/index.js';
import type { ClosureGraph, ClosurePath } from './layers.js';

/** The closure graph of store paths, from `nix path-info --json --recursive`. */

export interface NixClosureOptions {
  /** Directory of `nix` (default /usr/bin). */
  binDir?: string;
  /** HOME for Nix (its caches); default /tmp. */
  home?: string;
  signal?: AbortSignal;
}

/** Asks the local Nix store for the closure of `roots`; the roots become the graph's roots. */
export async function nixClosureGraph(
  roots: readonly string[],
  options: NixClosureOptions = {},
): Promise<ClosureGraph> {
  const json = await queryPathInfoJson(roots, options);
  return { paths: parsePathInfo(json), roots: [...roots] };
}

/**
 * Parses `nix path-info --json` output: an array of `{path, narSize, references}` (Nix 2.8 to
 * 2.18) or an object keyed by path (newer Nix). Invalid paths (`valid: false`) are errors.
 */
export function parsePathInfo(text: string): ClosurePath[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KilnError('KILN_ERR_NIX', 'nix path-info printed invalid JSON');
  }
  const items: [string | undefined, unknown][] = Array.isArray(parsed)
    ? parsed.map((item) => [undefined, item])
    : parsed !== null && typeof parsed === 'object'
      ? Object.entries(parsed)
      : [];
  return items.map(([key, item]) => {
    const info = (item ?? {}) as Record<string, unknown>;
    const path = key ?? info.path;
    const { narSize, references } = info;
    if (
      typeof path !== 'string' ||
      typeof narSize !== 'number' ||
      !Array.isArray(references) ||
      !references.every((r) => typeof r === 'string')
    ) {
      throw new KilnError('KILN_ERR_NIX', `nix path-info: ${String(path)} is not a valid store path`, {
        path,
      });
    }
    return { path, narSize, references };
  });
}
