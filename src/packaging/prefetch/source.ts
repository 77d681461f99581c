import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KilnError } from '../../errors/index.js';

/** Where a prefetch reads from, as classified from the user's text. */
export type PrefetchSourceKind = 'path' | 'file' | 'http' | 'git';

export interface ClassifiedSource {
  kind: PrefetchSourceKind;
  /** Absolute path (path), the URL (file, http), or the repository URL without `git+` (git). */
  location: string;
  /** The local file for `path` and `file` sources. */
  localPath?: string;
}

/**
 * `git+…` URLs, or anything when a rev is given, are git repositories; http(s) and file URLs are
 * downloads as nix-prefetch-url makes them; everything without a scheme is a local path.
 */
export function classifySource(
  source: string,
  rev: string | undefined,
  cwd = process.cwd(),
): ClassifiedSource {
  if (source === '') throw new KilnError('KILN_ERR_VALIDATION', 'the source to prefetch is empty');
  if (/^git\+/i.test(source)) return { kind: 'git', location: source.slice(4) };
  if (rev !== undefined) return { kind: 'git', location: source };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(source)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    try {
      new URL(source);
    } catch {
      throw new KilnError('KILN_ERR_VALIDATION', `'${source}' is not a valid URL`, { source });
    }
    return { kind: 'http', location: source };
  }
  if (scheme === 'file') {
    let localPath: string;
    try {
      localPath = fileURLToPath(source);
    } catch (error) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `'${source}' is not a valid file URL: ${(error as Error).message}`,
        {
          source,
        },
      );
    }
    return { kind: 'file', location: source, localPath };
  }
  // A single letter before ':' is more likely a Windows drive than a scheme; neither is supported.
  if (scheme !== undefined && scheme.length > 1 && source.startsWith(`${scheme}://`)) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `cannot prefetch '${source}': unsupported scheme '${scheme}://' (use http(s)://, file://, git+… or a local path)`,
      { source },
    );
  }
  const localPath = resolve(cwd, source);
  return { kind: 'path', location: localPath, localPath };
}

/**
 * The store name nix-prefetch-url derives: the URL's last path component (`baseNameOf`, which
 * ignores a trailing slash and keeps any query), or "source" for git as fetchgit names it.
 */
export function defaultPrefetchName(source: ClassifiedSource): string {
  if (source.kind === 'git') return 'source';
  let text = source.location;
  while (text.endsWith('/') && text.length > 1) text = text.slice(0, -1);
  const name = text.slice(text.lastIndexOf('/') + 1);
  if (name === '') {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `cannot figure out a name for '${source.location}'; pass a name`,
      {
        source: source.location,
      },
    );
  }
  return name;
}
