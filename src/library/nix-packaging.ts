import type { ConfigInput } from '../config/index.js';
import { createPackagingTools, type PackagingTools } from '../main/index.js';
import {
  narHash,
  parseNixHash,
  renderNixHash,
  makeFixedOutputPath,
  type HashAlgo,
  type HashFormat,
  type NixHash,
} from '../nar/index.js';
import {
  applyEdits,
  findFetchers,
  findHashAttributes,
  findVersion,
  parseNix,
  printNix,
  renderNixString,
  type BumpOptions,
  type BumpResult,
  type FetcherCall,
  type HashSite,
  type NixDocument,
  type PrefetchOptions,
  type PrefetchResult,
  type TextEdit,
  type VersionSite,
} from '../packaging/index.js';

/** What a package file holds that bump edits. */
export interface PackageFileSummary {
  document: NixDocument;
  version: VersionSite | undefined;
  hashes: HashSite[];
  fetchers: FetcherCall[];
}

/** A path hashed as `nix hash path` does, with the store path `nix-store --add` would give. */
export interface PathHash {
  hash: NixHash;
  sri: string;
  narSize: number;
  storePath: string;
}

/**
 * The packaging chores as a library (seed 003): hashes computed in TypeScript, package files
 * parsed and edited without losing a byte, and bumps that prove the build. Runs on this machine;
 * version syncs on release are a server feature (`createKiln(...).versionSyncs`).
 */
export class NixPackaging {
  readonly #tools: PackagingTools;

  constructor(config: Partial<ConfigInput> = {}) {
    this.#tools = createPackagingTools(config);
  }

  /** `nix-prefetch-url [--unpack]` / fetchgit in TypeScript: SRI, nix32, hex, base64 and the store path. */
  prefetch(source: string, options?: PrefetchOptions): Promise<PrefetchResult> {
    return this.#tools.prefetch(source, options);
  }

  /** The NAR hash of a file or directory (`nix hash path`), streamed. */
  async hashPath(path: string, options: { algo?: HashAlgo; name?: string } = {}): Promise<PathHash> {
    const { hash, size } = await narHash(path, options.algo ?? 'sha256');
    const name = options.name ?? path.split('/').filter(Boolean).pop() ?? 'source';
    return {
      hash,
      sri: renderNixHash(hash, 'sri'),
      narSize: size,
      storePath: makeFixedOutputPath(name, 'recursive', hash),
    };
  }

  /** Any hash Nix accepts (SRI, `algo:…`, bare with `algo`) as SRI or a bare nix32/hex/base64 digest. */
  convertHash(text: string, to: HashFormat, algo?: HashAlgo): string {
    return renderNixHash(parseNixHash(text, algo ? { algo } : {}), to, { typed: false });
  }

  /** Parses a package file and finds its version, fixed-output hashes and fetchers. */
  inspect(text: string): PackageFileSummary {
    const document = parseNix(text);
    return {
      document,
      version: findVersion(document),
      hashes: findHashAttributes(document),
      fetchers: findFetchers(document),
    };
  }

  /** Replaces exact spans (from `inspect`) with new text; everything else stays byte for byte. */
  edit(text: string, edits: readonly TextEdit[]): string {
    return applyEdits(text, edits);
  }

  /** A Nix string literal whose value is `value`. */
  nixString(value: string): string {
    return renderNixString(value);
  }

  /** The parsed file printed back: equal to the input for every file Nix accepts. */
  print(document: NixDocument): string {
    return printNix(document);
  }

  /** `kiln bump`: new version, every hash recomputed, build and smoke test, then written or committed. */
  bump(options: BumpOptions): Promise<BumpResult> {
    return this.#tools.bump(options);
  }
}
