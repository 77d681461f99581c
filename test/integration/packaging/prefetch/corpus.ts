import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** One tree to archive: paths relative to the archive root. */
export interface CorpusCase {
  name: string;
  build(root: string): void;
  /** Formats that cannot hold the case (ustar has no names over 255 bytes or links over 100). */
  skip?: readonly string[];
  /**
   * Formats Nix 2.8 itself fails on; kiln is checked against `nix hash path` of the tree's one
   * top-level entry instead. (Nix never sets a locale, so libarchive cannot convert a zip's
   * UTF-8 names: "Pathname cannot be converted from UTF-8 to current locale".)
   */
  nixFails?: readonly string[];
}

function file(root: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
}

const LONG_DIR = `d${'x'.repeat(119)}`;
const LONG_FILE = `f${'y'.repeat(149)}.txt`;

export const CORPUS: readonly CorpusCase[] = [
  {
    name: 'single-directory',
    build(root) {
      file(root, 'pkg-1.0/README', 'hello\n');
      file(root, 'pkg-1.0/bin/run', '#!/bin/sh\necho run\n', 0o755);
      file(root, 'pkg-1.0/src/nested/deep/file.c', 'int main(void) { return 0; }\n');
      file(root, 'pkg-1.0/empty', '');
      mkdirSync(join(root, 'pkg-1.0/emptydir'));
      symlinkSync('README', join(root, 'pkg-1.0/link'));
      symlinkSync('../nowhere/at/all', join(root, 'pkg-1.0/dangling'));
    },
  },
  {
    name: 'single-file',
    build(root) {
      file(root, 'solo.txt', 'just one file\n');
    },
  },
  {
    name: 'several-top-level',
    build(root) {
      file(root, 'a.txt', 'a\n');
      file(root, 'b/inner.txt', 'inner\n', 0o755);
      symlinkSync('a.txt', join(root, 'c'));
    },
  },
  {
    name: 'odd-modes',
    build(root) {
      for (const mode of [0o744, 0o700, 0o010, 0o001, 0o000, 0o755, 0o644, 0o4755]) {
        file(root, `pkg/f${mode.toString(8).padStart(4, '0')}`, `${mode}\n`, mode);
      }
      file(root, 'pkg/private/x', 'x\n');
      chmodSync(join(root, 'pkg/private'), 0o700);
    },
  },
  {
    name: 'unicode-names',
    nixFails: ['zip'],
    build(root) {
      file(root, 'pkg/café.txt', 'crème\n');
      file(root, 'pkg/日本語/ファイル', 'データ\n', 0o755);
      symlinkSync('café.txt', join(root, 'pkg/ünïcödé-link'));
    },
  },
  {
    name: 'long-names',
    skip: ['ustar'],
    build(root) {
      file(root, `pkg/${LONG_DIR}/${LONG_FILE}`, 'long\n');
      symlinkSync(`${LONG_DIR}/${LONG_FILE}`, join(root, 'pkg/long-target-link'));
    },
  },
  {
    // 130 bytes: ustar splits it into its prefix and name fields, GNU tar writes a long-name record.
    name: 'long-splittable-path',
    build(root) {
      file(root, `pkg/${'p'.repeat(60)}/${'q'.repeat(50)}/file.txt`, 'split\n', 0o755);
    },
  },
  {
    name: 'hard-links',
    build(root) {
      file(root, 'pkg/original', 'shared contents\n', 0o755);
      mkdirSync(join(root, 'pkg/sub'));
      linkSync(join(root, 'pkg/original'), join(root, 'pkg/sub/hard'));
    },
  },
];

/** How an archive of a tree is made with the system's tools. */
export interface CorpusFormat {
  name: string;
  extension: string;
  make(tree: string, out: string): void;
}

function gnuTar(flags: string[]): (tree: string, out: string) => void {
  return (tree, out) => {
    execFileSync('tar', [...flags, '--sort=name', '--owner=0', '--group=0', '-C', tree, '-cf', out, '.'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
    });
  };
}

// python3's zipfile, with Unix modes (type and permission bits) in the external attributes and
// symlinks stored as their target, as Info-ZIP's `zip -y` does.
const ZIP_SCRIPT = `
import os, stat, sys, zipfile
tree, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, tree)
            st = os.lstat(full)
            if stat.S_ISDIR(st.st_mode):
                info = zipfile.ZipInfo(rel + '/')
                info.external_attr = (st.st_mode << 16) | 0x10
                z.writestr(info, b'')
            elif stat.S_ISLNK(st.st_mode):
                info = zipfile.ZipInfo(rel)
                info.external_attr = st.st_mode << 16
                z.writestr(info, os.readlink(full).encode())
            else:
                info = zipfile.ZipInfo(rel)
                info.external_attr = st.st_mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, 'rb') as f:
                    z.writestr(info, f.read())
`;

export const FORMATS: readonly CorpusFormat[] = [
  { name: 'tar', extension: 'tar', make: gnuTar([]) },
  { name: 'tar.gz', extension: 'tar.gz', make: gnuTar(['-z']) },
  { name: 'tar.xz', extension: 'tar.xz', make: gnuTar(['-J']) },
  { name: 'tar.bz2', extension: 'tar.bz2', make: gnuTar(['-j']) },
  { name: 'tar.zst', extension: 'tar.zst', make: gnuTar(['--zstd']) },
  { name: 'pax tar.gz', extension: 'tgz', make: gnuTar(['-z', '--format=pax']) },
  { name: 'ustar', extension: 'tar', make: gnuTar(['--format=ustar']) },
  {
    name: 'zip',
    extension: 'zip',
    make(tree, out) {
      execFileSync('python3', ['-c', ZIP_SCRIPT, tree, out]);
    },
  },
];

/**
 * `nix-prefetch-url [--unpack] --print-path URL`: the hash (nix32, or hex for md5) and store path.
 * Asynchronous, so an HTTP server in this process can answer it.
 */
export async function nixPrefetchUrl(
  url: string,
  options: { unpack?: boolean; type?: string; name?: string } = {},
): Promise<{ hash: string; storePath: string }> {
  const args = ['--print-path'];
  if (options.unpack) args.push('--unpack');
  if (options.type !== undefined) args.push('--type', options.type);
  if (options.name !== undefined) args.push('--name', options.name);
  // libarchive converts names to the locale's charset: without a UTF-8 locale non-ASCII fails.
  const { stdout: out } = await execFileAsync('nix-prefetch-url', [...args, url], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C.UTF-8' },
  });
  const [hash = '', storePath = ''] = out.trim().split('\n');
  return { hash, storePath };
}

/** `nix hash path` (NAR sha256) of a local path, in the given format (default SRI). */
export function nixHashPath(path: string, format: 'sri' | 'base32' = 'sri'): string {
  return execFileSync(
    'nix',
    ['--extra-experimental-features', 'nix-command', 'hash', 'path', `--${format}`, path],
    { encoding: 'utf8' },
  ).trim();
}
