/**
 * Store paths the cache benchmark serves, built once with the real Nix and reused by later runs
 * (the derivations are deterministic, so a re-run's nix-build only evaluates; GC roots under the
 * fixtures directory keep the outputs alive):
 *  - 1,000 tiny paths whose narinfos wrk requests;
 *  - a 300-path closure (a binary tree: path i references paths 2i+1 and 2i+2), each output about
 *    0.66 MB of `seq` text, about 200 MB in all and very compressible, for substitution and push;
 *  - one 100 MB path of random bytes for NAR download throughput.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { run } from './proc.js';
import { NIX_BUILD_OPTS } from '../settings.js';

export const NARINFO_SET_SIZE = 1000;
export const CLOSURE_SIZE = 300;
export const BIG_NAR_BYTES = 100 * 1024 * 1024;

export const NIX_FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

/**
 * The fixture expression. Closure outputs start with their children's store paths (so they are
 * real references) followed by 73,000 eight-digit numbers (9 bytes a line: 657 kB).
 */
export function fixturesNix(): string {
  return `let
  system = "x86_64-linux";
  small = i: derivation {
    name = "kiln-bench-narinfo-\${toString i}";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "echo kiln bench narinfo \${toString i} > $out" ];
  };
  node = i:
    let
      kids = builtins.filter (k: k < ${CLOSURE_SIZE}) [ (2 * i + 1) (2 * i + 2) ];
      start = 10000000 + i * 100000;
    in derivation {
      name = "kiln-bench-closure-\${toString i}";
      inherit system;
      builder = "/bin/sh";
      kids = map node kids;
      args = [ "-c" "{ echo $kids; seq \${toString start} \${toString (start + 72999)}; } > $out" ];
    };
in {
  narinfoSet = builtins.genList small ${NARINFO_SET_SIZE};
  closure = node 0;
  bigNar = derivation {
    name = "kiln-bench-big-nar";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "head -c ${BIG_NAR_BYTES} /dev/urandom > $out" ];
  };
}
`;
}

export interface Fixtures {
  dir: string;
  narinfoSet: string[];
  closureRoot: string;
  closure: string[];
  bigNar: string;
}

/** The fixtures directory: stable across runs so that GC roots and built outputs are reused. */
export function fixturesDir(): string {
  return process.env['KILN_BENCH_FIXTURES'] ?? join(tmpdir(), 'kiln-bench-cache-fixtures');
}

async function build(file: string, attr: string, outLink: string): Promise<string[]> {
  const out = await run('nix-build', [
    ...NIX_BUILD_OPTS,
    '--max-jobs',
    String(availableParallelism()),
    '--quiet',
    file,
    '-A',
    attr,
    '--out-link',
    outLink,
  ]);
  return out.split('\n').filter((line) => line.startsWith('/nix/store/'));
}

export async function buildFixtures(): Promise<Fixtures> {
  const dir = fixturesDir();
  mkdirSync(join(dir, 'roots'), { recursive: true });
  const file = join(dir, 'fixtures.nix');
  writeFileSync(file, fixturesNix());
  const narinfoSet = await build(file, 'narinfoSet', join(dir, 'roots', 'narinfo'));
  const [closureRoot] = await build(file, 'closure', join(dir, 'roots', 'closure'));
  const [bigNar] = await build(file, 'bigNar', join(dir, 'roots', 'big-nar'));
  if (narinfoSet.length !== NARINFO_SET_SIZE || !closureRoot || !bigNar) {
    throw new Error(`fixture build gave ${narinfoSet.length} set paths, ${closureRoot}, ${bigNar}`);
  }
  const closure = (await run('nix-store', ['-qR', closureRoot])).split('\n').filter(Boolean);
  if (closure.length !== CLOSURE_SIZE) {
    throw new Error(`the closure of ${closureRoot} has ${closure.length} paths, not ${CLOSURE_SIZE}`);
  }
  return { dir, narinfoSet, closureRoot, closure, bigNar };
}

/** `/nix/store/<hash>-name` → `<hash>`, the narinfo's file name without `.narinfo`. */
export function hashPart(storePath: string): string {
  const base = storePath.slice(storePath.lastIndexOf('/') + 1);
  return base.slice(0, 32);
}
