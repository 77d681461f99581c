import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { prng } from '../../helpers/prng.js';

export { prng };

/** A file-system tree to write to disk; names are raw bytes so non-UTF-8 names can be tested. */
export type TreeNode =
  | { readonly kind: 'file'; readonly size: number; readonly seed: number; readonly executable: boolean }
  | { readonly kind: 'symlink'; readonly target: Uint8Array }
  | { readonly kind: 'dir'; readonly entries: ReadonlyMap<string, { name: Uint8Array; node: TreeNode }> };

const NAMES: Uint8Array[] = [
  'a',
  'B',
  'b',
  'with space',
  'ünïcödé',
  'e\u0301', // NFD: sorts apart from the NFC form below by bytes
  '\u00e9',
  '日本語',
  '.hidden',
  'a-b_c.d',
  'Z',
  '~tilde',
  'new\nline',
  'x'.repeat(200),
  '0',
  '10',
  '9',
].map((s) => new Uint8Array(Buffer.from(s)));
// Bytes that are not UTF-8 at all.
NAMES.push(new Uint8Array([0x66, 0xff]), new Uint8Array([0x80]), new Uint8Array([0xc3]));

/** Sizes around the 8-byte padding and the serialiser's read and batch boundaries. */
const SIZES = [...Array.from({ length: 18 }, (_, i) => i), 63, 64, 65, 4095, 4096, 4097, 65535, 65536, 65537];

const TARGETS = ['a', '../up', '/nix/store/does-not-exist', 'dangling target', 'ünï', 'x'.repeat(300)];

function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('empty choice');
  return item;
}

/** A random tree; `rootKind` forces the root's kind (NARs of single files and symlinks matter too). */
export function randomTree(seed: number, rootKind?: TreeNode['kind']): TreeNode {
  const rand = prng(seed);
  const node = (depth: number, kind?: TreeNode['kind']): TreeNode => {
    const roll = rand();
    const k =
      kind ??
      (depth >= 4 ? (roll < 0.7 ? 'file' : 'symlink') : roll < 0.5 ? 'file' : roll < 0.7 ? 'symlink' : 'dir');
    if (k === 'file') {
      return {
        kind: 'file',
        size: pick(rand, SIZES),
        seed: Math.floor(rand() * 2 ** 31),
        executable: rand() < 0.3,
      };
    }
    if (k === 'symlink') return { kind: 'symlink', target: Buffer.from(pick(rand, TARGETS)) };
    const entries = new Map<string, { name: Uint8Array; node: TreeNode }>();
    const count = Math.floor(rand() * 6); // empty directories included
    for (let i = 0; i < count; i++) {
      const name = pick(rand, NAMES);
      entries.set(Buffer.from(name).toString('hex'), { name, node: node(depth + 1) });
    }
    return { kind: 'dir', entries };
  };
  return node(0, rootKind);
}

export function fileBytes(size: number, seed: number): Buffer {
  const rand = prng(seed);
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** Writes `node` at `path` (raw bytes, so non-UTF-8 names work). */
export function writeTree(path: Buffer | string, node: TreeNode): void {
  const p = typeof path === 'string' ? Buffer.from(path) : path;
  if (node.kind === 'file') {
    writeFileSync(p, fileBytes(node.size, node.seed));
    // Only the owner's x bit counts for Nix; vary the others to prove it.
    const modes = node.executable ? [0o755, 0o700, 0o744] : [0o644, 0o654, 0o645, 0o600];
    chmodSync(p, modes[node.seed % modes.length] ?? 0o644);
  } else if (node.kind === 'symlink') {
    symlinkSync(Buffer.from(node.target), p);
  } else {
    mkdirSync(p);
    for (const { name, node: child } of node.entries.values()) {
      writeTree(Buffer.concat([p, Buffer.from('/'), name]), child);
    }
  }
}

function dirOf(entries: [Uint8Array, TreeNode][]): TreeNode {
  return {
    kind: 'dir',
    entries: new Map(entries.map(([name, node]) => [Buffer.from(name).toString('hex'), { name, node }])),
  };
}

/** `depth` directories nested in one another (random odd names), with `leaf` at the bottom. */
export function deepChain(seed: number, depth: number, leaf: TreeNode): TreeNode {
  const rand = prng(seed);
  // Short names only: the whole path must stay under PATH_MAX for every tool.
  const short = NAMES.filter((name) => name.length <= 12);
  let node = leaf;
  for (let i = 0; i < depth; i++) node = dirOf([[pick(rand, short), node]]);
  return node;
}

/**
 * A random tree with everything a NAR can hold at once: the random part (unicode and non-UTF-8
 * names, empty dirs, symlinks, executables, empty and tiny files), plus a chain nested `depth`
 * directories deep (Nix 2.8 has no depth limit), an empty directory and empty file, and
 * `largeFiles` files of a few MiB of random bytes at odd sizes (past the serialiser's buffers).
 */
export function richTree(seed: number, depth: number, largeFiles: number): TreeNode {
  const rand = prng(seed);
  const base = randomTree(seed, 'dir');
  const entries: [Uint8Array, TreeNode][] =
    base.kind === 'dir' ? [...base.entries.values()].map(({ name, node }) => [name, node]) : [];
  const file = (size: number, executable: boolean): TreeNode => ({
    kind: 'file',
    size,
    seed: Math.floor(rand() * 2 ** 31),
    executable,
  });
  entries.push(
    [Buffer.from('deep-\u00e9'), deepChain(seed + 1, depth, rand() < 0.5 ? file(13, true) : dirOf([]))],
    [Buffer.from('empty-dir'), dirOf([])],
    [Buffer.from('empty-file'), file(0, rand() < 0.5)],
    [
      new Uint8Array([0x6c, 0x69, 0x6e, 0x6b, 0xfe]),
      { kind: 'symlink', target: new Uint8Array([0x2e, 0xff]) },
    ],
  );
  for (let i = 0; i < largeFiles; i++) {
    const size = (1 + Math.floor(rand() * 5)) * 1024 * 1024 + Math.floor(rand() * 70_000);
    entries.push([Buffer.from(`large-${i}-\u65e5`), file(size, rand() < 0.5)]);
  }
  // Later duplicates of a name replace earlier ones, as on disk.
  return dirOf(entries);
}
