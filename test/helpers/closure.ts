import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nonce } from './nix.js';

/**
 * Builds a chain of `length` store paths with the real Nix, each referencing the next (the last
 * is a leaf), and returns them top first: [top, …, leaf]. Every call builds fresh paths.
 */
export function buildChain(dir: string, length = 3, tag = nonce()): string[] {
  const names = Array.from({ length }, (_, i) => `chain-${tag}-${i}`);
  const lets = names
    .map((name, i) => {
      const dep = i + 1 < length ? ` \${p${i + 1}}` : '';
      return `  p${i} = mk "${name}" "echo ${name}${dep} > $out";`;
    })
    .reverse()
    .join('\n');
  const file = join(dir, `chain-${tag}.nix`);
  writeFileSync(
    file,
    `let
  mk = name: script: derivation {
    inherit name;
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" script ];
  };
${lets}
in p0
`,
  );
  const top = execFileSync('nix-build', ['--no-out-link', file], { encoding: 'utf8' }).trim();
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
