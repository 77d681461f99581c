import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { HashAlgo, NixHash } from './hash.js';
import { narHash } from './nar.js';
import { makeFixedOutputPath } from './store-path.js';
import type { FileIngestionMethod } from './store-path.js';

export interface StorePathForFileOptions {
  /** Default: the file's base name, as `nix-store --add` uses. */
  name?: string;
  /** Default `recursive`, like `nix-store --add`. */
  method?: FileIngestionMethod;
  /** Default sha256. */
  algo?: HashAlgo;
  storeDir?: string;
}

/** Hash of a file's plain bytes, streamed (what `nix-prefetch-url` reports for a flat file). */
export async function flatFileHash(path: string, algo: HashAlgo = 'sha256'): Promise<NixHash> {
  const hasher = createHash(algo);
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  return { algo, digest: new Uint8Array(hasher.digest()) };
}

/**
 * The store path `nix-store --add` (recursive sha256) or `--add-fixed [--recursive] <algo>` would
 * give `path`, computed without Nix.
 */
export async function storePathForFile(
  path: string,
  options: StorePathForFileOptions = {},
): Promise<{ storePath: string; hash: NixHash }> {
  const method = options.method ?? 'recursive';
  const algo = options.algo ?? 'sha256';
  const hash = method === 'flat' ? await flatFileHash(path, algo) : (await narHash(path, algo)).hash;
  const storePath = makeFixedOutputPath(options.name ?? basename(path), method, hash, {
    storeDir: options.storeDir,
  });
  return { storePath, hash };
}
