/**
 * What `kiln bump` edits: the version, every fixed-output hash, and the fetchers that need them.
 */
import { KilnError } from '../../errors/index.js';
import { dottedName, walkDocument, type AttributeSite, type StringLiteral } from './attributes.js';
import type { NixDocument, NixExpr, Span } from './tree.js';

export interface VersionSite extends AttributeSite {
  readonly literal: StringLiteral;
  readonly version: string;
  /** Other `version` bindings at the same depth with the same value (edit them together). */
  readonly duplicates: readonly AttributeSite[];
}

export interface HashSite {
  readonly path: readonly string[];
  /** The hash-ish component of the path: 'hash', 'sha256', 'vendorHash', 'hashes', … */
  readonly name: string;
  /** A path component naming a Nix system, e.g. 'x86_64-linux'. */
  readonly system?: string;
  readonly valueSpan: Span;
  readonly literal?: StringLiteral;
  /** The literal's value; undefined for fake-hash expressions. */
  readonly value: string | undefined;
  /** Set when the value is `lib.fakeHash`, `lib.fakeSha256` or `lib.fakeSha512`: that expression. */
  readonly fake?: string;
  readonly fetcher?: string;
  /** The path above the hash name, e.g. ['src'] for src.hash. */
  readonly owner: readonly string[];
}

export interface FetcherCall {
  /** As written: 'fetchurl', 'lib.fetchzip', 'builtins.fetchTarball', … */
  readonly name: string;
  /** The binding path whose value holds the call; [] at the top level. */
  readonly path: readonly string[];
  readonly span: Span;
  /** Every static binding of the argument set (full paths, as findAttributes gives them). */
  readonly attributes: readonly AttributeSite[];
  /** The argument's top-level attributes with plain string values: url, owner, repo, rev, hash, … */
  readonly strings: Readonly<Record<string, string>>;
}

/** A hash itself: the last component of the path (`src.hash`, `vendorHash`). */
const HASH_NAME = /^(?:hash|sha256|sha512|sha1|md5|[a-zA-Z0-9_]*Hash)$/;
/** A set of hashes keyed by system (or anything else): never the last component. */
const HASH_SET_NAME = /^(?:hashes|[a-zA-Z0-9_]*Hashes|sha256s|sha512s)$/;
const FAKE_HASH = /(?:^|\.)(?:fakeHash|fakeSha256|fakeSha512)$/;
const SYSTEM =
  /^(?:x86_64|i[3-6]86|aarch64|armv[5-8][a-z]*|riscv(?:32|64)|powerpc(?:64)?(?:le)?|mips(?:64)?(?:el)?|s390x?|wasm(?:32|64)|m68k|loongarch64|microblaze(?:el)?|or1k|avr|arm|javascript|mmix|sparc(?:64)?)-(?:linux|darwin|freebsd|openbsd|netbsd|cygwin|windows|wasi|none|redox|genode|ghcjs|solaris|illumos|uefi|mmixware)$/;
const FETCHER = /^fetch[A-Za-z0-9_]*$/;

/** Does this component look like a Nix system double such as x86_64-linux? */
export function isNixSystem(component: string): boolean {
  return SYSTEM.test(component);
}

/** The `version` bound to a plain string: the shallowest; equal depth with different values is an error. */
export function findVersion(doc: NixDocument): VersionSite | undefined {
  const candidates = walkDocument(doc).sites.filter(
    (s): s is AttributeSite & { literal: StringLiteral } =>
      s.path[s.path.length - 1] === 'version' && s.literal?.value !== undefined,
  );
  if (candidates.length === 0) return undefined;
  const depth = Math.min(...candidates.map((s) => s.path.length));
  const shallowest = candidates.filter((s) => s.path.length === depth);
  const [first, ...rest] = shallowest;
  if (!first) return undefined;
  const version = first.literal.value as string;
  const differing = rest.filter((s) => s.literal.value !== version);
  if (differing.length > 0) {
    const shown = shallowest.map((s) => `${s.path.join('.')} = "${s.literal.value}"`).join(', ');
    throw new KilnError('KILN_ERR_BUMP', `several different versions at the same depth: ${shown}`, {
      versions: shallowest.map((s) => ({ path: s.path, value: s.literal.value })),
    });
  }
  return { ...first, version, duplicates: rest };
}

function fakeHashName(expr: NixExpr): string | undefined {
  const name = dottedName(expr);
  return name !== undefined && FAKE_HASH.test(name) ? name : undefined;
}

/** Every fixed-output hash site: literal strings (interpolation-free) and fake-hash placeholders. */
export function findHashAttributes(doc: NixDocument): HashSite[] {
  const { sites } = walkDocument(doc);
  const valueNodes = new Map<number, NixExpr>();
  collectValues(doc.expr, valueNodes);
  const result: HashSite[] = [];
  for (const site of sites) {
    const last = site.path.length - 1;
    let index = HASH_NAME.test(site.path[last] ?? '') ? last : -1;
    for (let i = last - 1; index < 0 && i >= 0; i--) if (HASH_SET_NAME.test(site.path[i] ?? '')) index = i;
    if (index < 0) continue;
    const name = site.path[index] as string;
    const system = site.path.find(isNixSystem);
    const common = {
      path: site.path,
      name,
      ...(system !== undefined ? { system } : {}),
      valueSpan: site.valueSpan,
      ...(site.fetcher !== undefined ? { fetcher: site.fetcher } : {}),
      owner: site.path.slice(0, index),
    };
    if (site.literal) {
      if (site.literal.value === undefined) continue; // interpolated: not a hash we can replace
      result.push({ ...common, literal: site.literal, value: site.literal.value });
      continue;
    }
    const node = valueNodes.get(site.valueSpan.start);
    const fake = node ? fakeHashName(node) : undefined;
    if (fake !== undefined) result.push({ ...common, value: undefined, fake });
  }
  return result;
}

/** Binding values by start offset, so a site's value expression can be looked at again. */
function collectValues(node: NixExpr | NixDocument, into: Map<number, NixExpr>): void {
  const visit = (child: (typeof node)['children'][number]): void => {
    if (child.type === 'token') return;
    if (child.kind === 'binding') into.set(child.value.span.start, child.value);
    for (const inner of child.children) visit(inner);
  };
  visit(node);
}

/** Calls of fetchers (`fetchurl`, `fetchFromGitHub`, `lib.fetchzip`, `builtins.fetchTarball`, …) with a set argument. */
export function findFetchers(doc: NixDocument): FetcherCall[] {
  const calls: FetcherCall[] = [];
  for (const applied of walkDocument(doc).applied) {
    const last = applied.name.split('.').pop() ?? '';
    if (!FETCHER.test(last)) continue;
    const strings: Record<string, string> = {};
    for (const site of applied.sites) {
      const key = site.path.slice(applied.path.length);
      if (key.length === 1 && site.literal?.value !== undefined)
        strings[key[0] as string] = site.literal.value;
    }
    calls.push({
      name: applied.name,
      path: applied.path,
      span: applied.apply.span,
      attributes: applied.sites,
      strings,
    });
  }
  return calls;
}
