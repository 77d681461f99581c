/**
 * The closure the image benchmark packs: 50 store paths built once with the real Nix and reused by
 * later runs (the expression is fixed, so a re-run's nix-build only evaluates; a GC root under the
 * fixtures directory keeps the outputs alive). The paths form a binary tree (path i references
 * paths 2i+1 and 2i+2), and each is a small package: `bin/NAME` (a script), `lib/libNAME.so`
 * (64 KiB to 1.5 MiB of random bytes, which gzip cannot shrink, like stripped binaries at their
 * worst) and `share/doc/NAME.txt` (180 KB to 1.6 MB of `seq` text, which gzip shrinks a lot), and
 * `nix-support/references` naming its children so that the references are real. About 90 MB in all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MK_DERIVATION } from '../../test/helpers/closure.js';
import { run } from '../cache/proc.js';
import { NIX_BUILD_OPTS } from '../settings.js';

export const IMAGE_CLOSURE_SIZE = 50;

/** The fixture expression; its value is the root of the closure (path 0). */
export function imageClosureNix(): string {
  return `let
  ${MK_DERIVATION}
  mod = a: b: a - b * (builtins.div a b);
  node = i:
    let
      name = "kiln-bench-image-\${toString i}";
      kids = map node (builtins.filter (k: k < ${IMAGE_CLOSURE_SIZE}) [ (2 * i + 1) (2 * i + 2) ]);
      randomKiB = 64 * (mod (i * 7) 24 + 1);
      textLines = 20000 * (mod (i * 5) 9 + 1);
      start = 10000000 + i * 200000;
    in mk name ''
      mkdir -p $out/bin $out/lib $out/share/doc $out/nix-support
      echo \${builtins.concatStringsSep " " (map toString kids)} > $out/nix-support/references
      echo '#!/bin/sh' > $out/bin/\${name}
      echo 'echo \${name}' >> $out/bin/\${name}
      chmod 755 $out/bin/\${name}
      head -c \${toString (randomKiB * 1024)} /dev/urandom > $out/lib/lib\${name}.so
      seq \${toString start} \${toString (start + textLines - 1)} > $out/share/doc/\${name}.txt
    '';
in node 0
`;
}

/** The fixtures directory: stable across runs so that the GC root and built outputs are reused. */
export function imageFixturesDir(): string {
  return process.env['KILN_BENCH_IMAGE_FIXTURES'] ?? join(tmpdir(), 'kiln-bench-image-fixtures');
}

export interface ImageFixture {
  /** The closure's root store path (the image's first output). */
  root: string;
  /** Every store path of the closure. */
  closure: string[];
  /** Sum of the closure's NAR sizes: roughly the uncompressed bytes the layers hold. */
  narBytes: number;
}

export async function buildImageFixture(): Promise<ImageFixture> {
  const dir = imageFixturesDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'closure.nix');
  writeFileSync(file, imageClosureNix());
  const out = await run('nix-build', [
    ...NIX_BUILD_OPTS,
    '--max-jobs',
    String(availableParallelism()),
    '--quiet',
    file,
    '--out-link',
    join(dir, 'root'),
  ]);
  const root = out.split('\n').find((line) => line.startsWith('/nix/store/'));
  if (!root) throw new Error(`nix-build of the image closure printed no store path:\n${out}`);
  const closure = (await run('nix-store', ['--query', '--requisites', root])).split('\n').filter(Boolean);
  if (closure.length !== IMAGE_CLOSURE_SIZE) {
    throw new Error(`the closure of ${root} has ${closure.length} paths, not ${IMAGE_CLOSURE_SIZE}`);
  }
  const sizes = await run('nix-store', ['--query', '--size', ...closure]);
  const narBytes = sizes
    .split('\n')
    .filter(Boolean)
    .reduce((sum, n) => sum + Number(n), 0);
  return { root, closure, narBytes };
}
