import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.js';
import type { GitClient, GitCredentials, GitUrlPolicy } from '../../git/index.js';
import {
  flatFileHash,
  narHash,
  makeFixedOutputPath,
  renderNixHash,
  validateStorePathName,
  type HashAlgo,
  type NixHash,
} from '../../nar/index.js';
import { unpackArchive } from '../archive/unpack.js';
import { downloadToFile } from './download.js';
import { checkoutGitTree } from './git-tree.js';
import {
  classifySource,
  defaultPrefetchName,
  type ClassifiedSource,
  type PrefetchSourceKind,
} from './source.js';

export interface PrefetchOptions {
  /** Unpack the file (tar, compressed tar, zip) and hash the tree as nix-prefetch-url --unpack. */
  unpack?: boolean;
  /** Store path name (default: the URL's or path's base name; "source" for git). */
  name?: string;
  /** Default sha256. */
  algo?: HashAlgo;
  /** Git revision (commit, branch or tag); makes any source a git repository. */
  rev?: string;
  signal?: AbortSignal;
  /** Where temporary files go (default: the OS temp directory). */
  tmpDir?: string;
  /** The git client for git sources (default: a GitClient checking ssh hosts against ~/.ssh/known_hosts). */
  git?: GitClient;
  /** Token or ssh key for git sources (default: none). */
  gitCredentials?: GitCredentials;
  /** Which git URLs are allowed (default: any, including local repositories). */
  gitPolicy?: GitUrlPolicy;
}

export interface PrefetchResult {
  hash: NixHash;
  sri: string;
  nix32: string;
  hex: string;
  base64: string;
  algo: HashAlgo;
  method: 'flat' | 'recursive';
  name: string;
  storePath: string;
  source: { kind: PrefetchSourceKind; location: string; rev?: string };
}

/**
 * The hash and store path Nix would give `source`, computed here: a file or URL hashed flat (as
 * nix-prefetch-url) or unpacked (as nix-prefetch-url --unpack), a directory as a NAR (as
 * `nix hash path`), a git revision as nixpkgs' fetchgit. Temporary files never outlive the call.
 */
export async function prefetch(source: string, options: PrefetchOptions = {}): Promise<PrefetchResult> {
  const algo = options.algo ?? 'sha256';
  const classified = classifySource(source, options.rev);
  const name = options.name ?? defaultPrefetchName(classified);
  validateStorePathName(name);
  options.signal?.throwIfAborted();
  const temp = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'kiln-prefetch-'));
  try {
    const { hash, method, rev } = await hashSource(classified, temp, algo, options);
    return {
      hash,
      sri: renderNixHash(hash, 'sri'),
      nix32: renderNixHash(hash, 'base32', { typed: false }),
      hex: renderNixHash(hash, 'hex', { typed: false }),
      base64: renderNixHash(hash, 'base64', { typed: false }),
      algo,
      method,
      name,
      storePath: makeFixedOutputPath(name, method, hash),
      source: { kind: classified.kind, location: classified.location, ...(rev !== undefined && { rev }) },
    };
  } finally {
    await rm(temp, { recursive: true, force: true, maxRetries: 3 });
  }
}

interface Hashed {
  hash: NixHash;
  method: 'flat' | 'recursive';
  rev?: string;
}

async function hashSource(
  source: ClassifiedSource,
  temp: string,
  algo: HashAlgo,
  options: PrefetchOptions,
): Promise<Hashed> {
  const { signal } = options;
  if (source.kind === 'git') {
    if (options.rev === undefined) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `prefetching the git repository '${source.location}' needs a rev`,
        {
          source: source.location,
        },
      );
    }
    const tree = join(temp, 'checkout');
    const rev = await checkoutGitTree(source.location, options.rev, tree, {
      policy: options.gitPolicy ?? { allowLocal: true },
      ...(options.git && { git: options.git }),
      ...(options.gitCredentials && { credentials: options.gitCredentials }),
      ...(signal && { signal }),
    });
    return { hash: await narHashOf(tree, algo), method: 'recursive', rev };
  }
  let file: string;
  if (source.kind === 'http') {
    file = join(temp, 'download');
    const flat = await downloadToFile(source.location, file, algo, signal);
    if (!options.unpack) return { hash: flat, method: 'flat' };
  } else {
    file = source.localPath ?? source.location;
    const kind = await fileKind(file, source);
    // A directory can only be hashed as a tree, as `nix hash path` and `nix-store --add` do.
    if (kind === 'directory') return { hash: await narHashOf(file, algo), method: 'recursive' };
  }
  if (options.unpack) {
    const unpacked = await unpackArchive(file, join(temp, 'unpacked'), {
      label: source.location,
      ...(signal && { signal }),
    });
    return { hash: await narHashOf(unpacked.root, algo), method: 'recursive' };
  }
  return { hash: await flatFileHash(file, algo), method: 'flat' };
}

async function narHashOf(path: string, algo: HashAlgo): Promise<NixHash> {
  return (await narHash(path, algo)).hash;
}

async function fileKind(path: string, source: ClassifiedSource): Promise<'file' | 'directory'> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return 'directory';
    if (st.isFile()) return 'file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KilnError(
        source.kind === 'file' ? 'KILN_ERR_FETCH' : 'KILN_ERR_FILE_NOT_FOUND',
        `${source.location}: no such file or directory`,
        { source: source.location },
      );
    }
    throw error;
  }
  throw new KilnError('KILN_ERR_VALIDATION', `${source.location} is neither a file nor a directory`, {
    source: source.location,
  });
}
