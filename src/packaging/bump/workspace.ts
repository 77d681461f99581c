import { cp, lstat, mkdir, mkdtemp, readlink, rm, symlink, copyFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { runGit } from './git-run.js';
import { bumpError } from './hash-slots.js';

/** A private copy of the package's project, where bump edits and builds without touching the original. */
export interface Workspace {
  /** The copy's root directory. */
  readonly root: string;
  /** The original project root (the Git work tree, or the file's directory). */
  readonly originalRoot: string;
  /** Whether the original is a Git work tree. */
  readonly git: boolean;
  /** Where an original path lives in the copy. */
  map(path: string): string;
  dispose(): Promise<void>;
}

/** The Git work tree holding `dir`, or null. */
export async function gitTopLevel(dir: string): Promise<string | null> {
  try {
    return (await runGit(dir, ['rev-parse', '--show-toplevel'])).trim() || null;
  } catch {
    return null; // not in a work tree
  }
}

/**
 * Copies the project that holds `file`: in a Git work tree, the tracked and untracked-but-not-
 * ignored files (so build results and ignored junk stay behind); otherwise the file's directory.
 * Symlinks are copied as links, executable bits kept.
 */
export async function createWorkspace(file: string, parent = tmpdir()): Promise<Workspace> {
  const absolute = resolve(file);
  const top = await gitTopLevel(dirname(absolute));
  const originalRoot = top ?? dirname(absolute);
  const root = await mkdtemp(join(parent, 'kiln-bump-'));
  try {
    if (top) await copyGitFiles(top, root);
    else await cp(originalRoot, root, { recursive: true, verbatimSymlinks: true });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw bumpError(`cannot copy the project at ${originalRoot}: ${(error as Error).message}`);
  }
  return {
    root,
    originalRoot,
    git: top !== null,
    map(path: string): string {
      const rel = relative(originalRoot, resolve(path));
      if (rel.startsWith(`..${sep}`) || rel === '..') {
        throw bumpError(`${path} is outside the project at ${originalRoot}`);
      }
      return join(root, rel);
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

async function copyGitFiles(top: string, root: string): Promise<void> {
  const listed = await runGit(top, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    maxLineChars: 256 * 1024 * 1024,
  });
  const files = [...new Set(listed.split('\0'))].filter((f) => f !== '');
  for (const rel of files) {
    const from = join(top, rel);
    const to = join(root, rel);
    let st;
    try {
      st = await lstat(from);
    } catch {
      continue; // listed in the index but deleted in the work tree
    }
    await mkdir(dirname(to), { recursive: true });
    if (st.isSymbolicLink()) await symlink(await readlink(from), to);
    else if (st.isFile()) {
      await copyFile(from, to);
      await chmod(to, st.mode & 0o777);
    }
  }
}
