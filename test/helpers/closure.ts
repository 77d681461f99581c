import { execFileSync } from 'node:child_process';
import { nonce } from './nix.js';

/** `mk NAME SCRIPT`: a busybox derivation, for the `let` blocks of test closures. */
export const MK_DERIVATION = `mk = name: script: derivation {
    inherit name;
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" script ];
  };`;

/** `nix-build --no-out-link -E EXPR`: the output paths, one per line of Nix's answer. */
export function nixBuildExpr(expr: string, env?: NodeJS.ProcessEnv): string[] {
  return execFileSync('nix-build', ['--no-out-link', '-E', expr], { encoding: 'utf8', ...(env && { env }) })
    .trim()
    .split('\n');
}

/**
 * Builds a chain of `length` store paths with the real Nix, each referencing the next (the last
 * is a leaf), and returns them top first: [top, …, leaf]. Every call builds fresh paths.
 */
export function buildChain(length = 3, tag = nonce()): string[] {
  const names = Array.from({ length }, (_, i) => `chain-${tag}-${i}`);
  const lets = names
    .map((name, i) => {
      const dep = i + 1 < length ? ` \${p${i + 1}}` : '';
      return `  p${i} = mk "${name}" "echo ${name}${dep} > $out";`;
    })
    .reverse()
    .join('\n');
  const [top = ''] = nixBuildExpr(`let\n  ${MK_DERIVATION}\n${lets}\nin p0\n`);
  const closure = execFileSync('nix-store', ['--query', '--requisites', top], { encoding: 'utf8' })
    .trim()
    .split('\n');
  // --requisites lists dependencies first.
  return closure.reverse();
}

/** `nix-store --dump PATH` as bytes. */
export function dumpNar(path: string): Buffer {
  return execFileSync('nix-store', ['--dump', path], { maxBuffer: 1 << 30 });
}
