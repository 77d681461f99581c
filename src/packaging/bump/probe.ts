import { KilnError } from '../../errors/index.js';
import { validateAttrPath } from '../../git/index.js';
import { renderNixString } from '../syntax/nix-syntax.js';

/** What evaluation says about a package's `src` on one system. */
export interface SourceInfo {
  readonly drvPath: string | null;
  readonly outputHash: string | null;
  readonly outputHashAlgo: string | null;
  readonly outputHashMode: string;
  readonly urls: readonly string[];
  /** Set for Git sources (fetchgit and friends). */
  readonly rev: string | null;
  readonly fetchSubmodules: boolean;
}

/** A Nix string literal for a path or attribute name; control characters are refused, not escaped. */
function nixString(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f]/.test(value)) {
    throw new KilnError('KILN_ERR_VALIDATION', `'${JSON.stringify(value)}' contains control characters`);
  }
  return renderNixString(value);
}

/** The package: the entry file imported (called with `{}` when it is a function), then `attr`. */
export function packageExpression(entryFile: string, attr: string | undefined): string {
  const select = attr
    ? validateAttrPath(attr)
        .split('.')
        .map((part) => `.${nixString(part)}`)
        .join('')
    : '';
  return `(let f = import (/. + ${nixString(entryFile)}); v = if builtins.isFunction f then f { } else f; in v${select})`;
}

/** Evaluates to the package's `src` facts (or null when it has no derivation as src). */
export function sourceInfoExpression(pkg: string): string {
  return `let
  pkg = ${pkg};
  src = pkg.src or null;
  str = x: if x == null then null else toString x;
in
  if !(builtins.isAttrs src) || !(src ? drvPath) then null else {
    drvPath = src.drvPath;
    outputHash = str (src.outputHash or null);
    outputHashAlgo = str (src.outputHashAlgo or null);
    outputHashMode = str (src.outputHashMode or "flat");
    urls = map toString (if src ? urls then src.urls else if src ? url then [ src.url ] else [ ]);
    rev = str (src.rev or null);
    fetchSubmodules = src.fetchSubmodules or false;
  }`;
}

/** Evaluates to the package's .drv path. */
export function drvPathExpression(pkg: string): string {
  return `(${pkg}).drvPath`;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The JSON of sourceInfoExpression, checked. */
export function readSourceInfo(json: unknown): SourceInfo | null {
  if (json === null) return null;
  if (typeof json !== 'object' || Array.isArray(json)) {
    throw new KilnError('KILN_ERR_NIX', 'unexpected answer when evaluating the package source');
  }
  const o = json as Record<string, unknown>;
  return {
    drvPath: stringOrNull(o['drvPath']),
    outputHash: stringOrNull(o['outputHash']),
    outputHashAlgo: stringOrNull(o['outputHashAlgo']),
    outputHashMode: stringOrNull(o['outputHashMode']) ?? 'flat',
    urls: Array.isArray(o['urls']) ? o['urls'].filter((u): u is string => typeof u === 'string') : [],
    rev: stringOrNull(o['rev']),
    fetchSubmodules: o['fetchSubmodules'] === true,
  };
}
