import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Whether `path` is valid in the store `store` (the machine's store when undefined). */
export async function validIn(path: string, store?: string): Promise<boolean> {
  const args = ['--extra-experimental-features', 'nix-command', 'path-info'];
  try {
    await execFileAsync('nix', [...args, ...(store ? ['--store', store] : []), '--', path]);
    return true;
  } catch {
    return false;
  }
}

/** X, and Y whose output names X: building Y needs X in the store. Names start with `prefix`. */
export function dependentDerivations(prefix: string, tag: string): { x: string; y: string } {
  const x = `derivation {
    name = "${prefix}-x-${tag}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo built X ${tag} > $out" ];
  }`;
  const y = `let x = ${x}; in derivation {
    name = "${prefix}-y-${tag}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo uses \${x} > $out" ];
  }`;
  return { x, y };
}
