import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChain } from './closure.js';
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
 * A fresh chain of `length` store paths (each referring to the one before), bottom of the chain
 * first: the last one's closure is all of them.
 */
export function chainBottomUp(length: number): string[] {
  return buildChain(length).reverse();
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
