import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.js';
import type { TarEntry } from './tar.js';

/**
 * What goes into a layer: store paths read from disk (metadata now, contents when the tar is
 * written) under `nix/store/…`, and the customisation layer's small generated files.
 */

/** /nix and /nix/store in every store layer, 0755 as in dockerTools. */
const NIX_DIRS: TarEntry[] = [
  { type: 'directory', path: 'nix', mode: 0o755 },
  { type: 'directory', path: 'nix/store', mode: 0o755 },
];

/**
 * The tar entries of `storePaths` (absolute, /nix/store/…) as found on disk. Permissions follow
 * the store's convention (0555 directories and executables, 0444 files) whatever the disk says;
 * hard links become regular files; any other file type is an error.
 */
export async function storePathEntries(storePaths: readonly string[]): Promise<TarEntry[]> {
  const entries: TarEntry[] = [...NIX_DIRS];
  for (const storePath of storePaths) {
    if (!/^\/nix\/store\/[^/]+$/.test(storePath)) {
      throw new KilnError('KILN_ERR_VALIDATION', `not a store path: ${storePath}`, { path: storePath });
    }
    await walk(storePath, storePath.slice(1), entries);
  }
  return entries;
}

async function walk(diskPath: string, tarPath: string, out: TarEntry[]): Promise<void> {
  const info = await lstat(diskPath);
  if (info.isSymbolicLink()) {
    out.push({ type: 'symlink', path: tarPath, target: await readlink(diskPath) });
  } else if (info.isFile()) {
    out.push({
      type: 'file',
      path: tarPath,
      size: info.size,
      executable: (info.mode & 0o100) !== 0,
      content: () => createReadStream(diskPath),
    });
  } else if (info.isDirectory()) {
    out.push({ type: 'directory', path: tarPath });
    for (const name of (await readdir(diskPath)).sort())
      await walk(join(diskPath, name), `${tarPath}/${name}`, out);
  } else {
    throw new KilnError('KILN_ERR_VALIDATION', `${diskPath} is neither a file, a directory nor a symlink`, {
      path: diskPath,
    });
  }
}

export interface CustomisationOptions {
  /** Symlinks at the image root, e.g. `{ path: 'bin', target: '/nix/store/…-app/bin' }`. */
  symlinks?: { path: string; target: string }[];
  /** /etc/passwd and /etc/group with root and nobody (default true). */
  users?: boolean;
  /** /tmp with mode 1777 (default true). */
  tmp?: boolean;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/var/empty:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

/** The customisation layer's entries; parent directories of symlinks are created 0755. */
export function customisationEntries(options: CustomisationOptions): TarEntry[] {
  const entries = new Map<string, TarEntry>();
  const dir = (path: string, mode = 0o755): void => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!entries.has(parent))
        entries.set(parent, { type: 'directory', path: parent, mode: i === parts.length ? mode : 0o755 });
    }
  };
  const add = (entry: TarEntry): void => {
    const existing = entries.get(entry.path);
    if (existing && existing.type !== 'directory') {
      throw new KilnError('KILN_ERR_VALIDATION', `the customisation layer has ${entry.path} twice`, {
        path: entry.path,
      });
    }
    if (existing) {
      throw new KilnError('KILN_ERR_VALIDATION', `${entry.path} is a directory of the customisation layer`, {
        path: entry.path,
      });
    }
    entries.set(entry.path, entry);
  };
  for (const link of options.symlinks ?? []) {
    const path = link.path.replace(/^\/+/, '');
    const parent = path.split('/').slice(0, -1).join('/');
    if (parent !== '') dir(parent);
    add({ type: 'symlink', path, target: link.target });
  }
  if (options.users ?? true) {
    dir('etc');
    add(textFile('etc/passwd', PASSWD));
    add(textFile('etc/group', GROUP));
  }
  if (options.tmp ?? true) {
    if (entries.has('tmp'))
      throw new KilnError('KILN_ERR_VALIDATION', 'the customisation layer has tmp twice');
    entries.set('tmp', { type: 'directory', path: 'tmp', mode: 0o1777 });
  }
  return [...entries.values()];
}

function textFile(path: string, text: string): TarEntry {
  const bytes = Buffer.from(text, 'utf8');
  return {
    type: 'file',
    path,
    size: bytes.length,
    executable: false,
    mode: 0o444,
    content: () => [bytes],
  };
}
