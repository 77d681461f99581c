import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../test/helpers/prng.js';

/** What one generated workload holds, for the report. */
export interface TreeStats {
  files: number;
  executables: number;
  symlinks: number;
  dirs: number;
  bytes: number;
}

/**
 * A source-tree-like directory of `files` small files (0–16 KiB, skewed towards small: about
 * 5.4 KiB on average, so 40,000 files are ~210 MiB) in three levels of directories, with some
 * executables and symlinks. Contents are slices of one random pool: hashing speed does not depend
 * on the bytes, and generating them must stay cheap.
 */
export function makeSmallFilesTree(root: string, files: number): TreeStats {
  const rand = prng(6);
  const pool = randomBytes(4 << 20);
  const stats: TreeStats = { files: 0, executables: 0, symlinks: 0, dirs: 1, bytes: 0 };
  mkdirSync(root);
  const perLeaf = 40;
  const leaves = Math.ceil(files / perLeaf);
  const fanOut = Math.max(2, Math.ceil(Math.cbrt(leaves)));
  for (let leaf = 0; leaf < leaves; leaf++) {
    const a = join(root, `d${Math.floor(leaf / (fanOut * fanOut))}`);
    const b = join(a, `sub${Math.floor(leaf / fanOut) % fanOut}`);
    const dir = join(b, `leaf-${leaf % fanOut}`);
    for (const d of [a, b, dir]) {
      try {
        mkdirSync(d);
        stats.dirs++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    for (let i = 0; i < perLeaf && stats.files < files; i++) {
      const path = join(dir, `file-${i}.${['c', 'h', 'txt', 'nix', 'md'][i % 5]}`);
      if (rand() < 0.02) {
        symlinkSync(`../leaf-${i % fanOut}/file-${i}`, path);
        stats.symlinks++;
        continue;
      }
      const size = Math.floor(16384 * rand() ** 2);
      const at = Math.floor(rand() * (pool.length - size));
      writeFileSync(path, pool.subarray(at, at + size));
      if (rand() < 0.05) {
        chmodSync(path, 0o755);
        stats.executables++;
      }
      stats.files++;
      stats.bytes += size;
    }
  }
  return stats;
}

/** One file of `bytes` bytes (a random 16 MiB block repeated). */
export function makeBigFile(path: string, bytes: number): TreeStats {
  const block = randomBytes(16 << 20);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes;) {
      const n = Math.min(block.length, bytes - done);
      done += writeSync(fd, block, 0, n);
    }
  } finally {
    closeSync(fd);
  }
  return { files: 1, executables: 0, symlinks: 0, dirs: 0, bytes };
}
