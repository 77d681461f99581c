import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Whether every path is the target of one of the build's GC roots (`DATA/gcroots/<id>/result*`).
 * A rooted path is valid: Nix's garbage collector keeps it, so no Nix call is needed to know.
 * False when the roots are gone (cleanup) or do not cover the paths; the caller then asks Nix.
 */
export async function rootedByBuild(rootsDir: string, paths: readonly string[]): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(rootsDir);
  } catch {
    return false;
  }
  const targets = new Set<string>();
  for (const name of names) {
    try {
      targets.add(await readlink(join(rootsDir, name)));
    } catch {
      // not a symlink: not a root
    }
  }
  return paths.every((path) => targets.has(path));
}
