import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nonce } from './nix.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const NIX_FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

/** Runs a program with an argument array; never throws for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      // A private narinfo disk cache per call: nix must ask the server, not remember an answer.
      {
        env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'kiln-xdg-')), ...env },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Builds a chain of `length` derivations, each referring to the one before, and returns their
 * output paths from the bottom of the chain to the top (the top's closure is all of them).
 */
export async function buildChain(length: number, tag = nonce()): Promise<string[]> {
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    const dep = i === 0 ? '' : ` \${p${i - 1}}`;
    parts.push(
      `p${i} = derivation { name = "chain-${i}"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo ${tag} ${i}${dep} > $out" ]; };`,
    );
  }
  const names = Array.from({ length }, (_, i) => `p${i}`).join(' ');
  const expr = `let ${parts.join('\n')} in [ ${names} ]`;
  const result = await run('nix-build', ['--no-out-link', '-E', expr]);
  if (result.code !== 0) throw new Error(`nix-build failed: ${result.stderr}`);
  return result.stdout.trim().split('\n');
}

/** A netrc file sending `token` as the password to 127.0.0.1. */
export function writeNetrc(dir: string, token: string): string {
  const path = join(dir, `netrc-${nonce()}`);
  writeFileSync(path, `machine 127.0.0.1 login kiln password ${token}\n`, { mode: 0o600 });
  return path;
}

/** `nix copy --to URL PATHS` as a user would run it, with the netrc file for credentials. */
export function nixCopyTo(url: string, paths: readonly string[], netrc?: string, extra: string[] = []) {
  const auth = netrc === undefined ? [] : ['--option', 'netrc-file', netrc];
  return run('nix', [...NIX_FEATURES, 'copy', ...auth, ...extra, '--to', url, ...paths]);
}

/** Substitutes `path` into the (new, empty) store at `storeDir` from `url`, trusting `keys`. */
export function substitute(storeDir: string, path: string, url: string, keys: string, netrc?: string) {
  const auth = netrc === undefined ? [] : ['--option', 'netrc-file', netrc];
  return run('nix-store', [
    '--store',
    storeDir,
    '-r',
    path,
    '--option',
    'substituters',
    url,
    '--option',
    'trusted-public-keys',
    keys,
    ...auth,
  ]);
}
