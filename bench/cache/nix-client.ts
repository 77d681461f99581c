/** The real Nix clients the benchmark drives: `nix copy --to`, `nix-store -r`, key generation. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NIX_FEATURES } from './fixtures.js';
import { baseEnv, run } from './proc.js';

export interface SigningKey {
  secretFile: string;
  publicKey: string;
}

/** The key the nginx cache is signed with, generated once per fixtures directory. */
export async function fixtureKey(dir: string): Promise<SigningKey> {
  const secretFile = join(dir, 'nginx-cache.sec');
  const publicFile = join(dir, 'nginx-cache.pub');
  if (!existsSync(secretFile) || !existsSync(publicFile)) {
    await run('nix-store', ['--generate-binary-cache-key', 'kiln-bench-nginx-1', secretFile, publicFile]);
  }
  return { secretFile, publicKey: readFileSync(publicFile, 'utf8').trim() };
}

/**
 * Runs a Nix client with its own empty narinfo disk cache (XDG_CACHE_HOME): servers come and go on
 * recycled ports, and a remembered "this path exists at http://127.0.0.1:PORT/…" from an earlier
 * server would make `nix copy` skip uploads.
 */
async function withFreshNixCache<T>(fn: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-xdg-'));
  try {
    return await fn(baseEnv({ XDG_CACHE_HOME: dir }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `nix copy --to STORE PATHS` (closures included, Nix's defaults unless STORE has parameters). */
export async function nixCopy(to: string, paths: readonly string[], netrcFile?: string): Promise<void> {
  const netrc = netrcFile ? ['--option', 'netrc-file', netrcFile] : [];
  await withFreshNixCache((env) =>
    run('nix', [...NIX_FEATURES, 'copy', '--quiet', ...netrc, '--to', to, ...paths], {
      env,
      timeoutMs: 900_000,
    }),
  );
}

/** Store path count of `root`'s closure in the binary cache at `url`, read back through Nix. */
export async function closureCountIn(url: string, root: string): Promise<number> {
  const out = await withFreshNixCache((env) =>
    run('nix', [...NIX_FEATURES, 'path-info', '--store', url, '-r', root], { env }),
  );
  return out.split('\n').filter(Boolean).length;
}

/**
 * `nix-store -r ROOT` into a new empty store with `url` as the only substituter. Nix's narinfo
 * disk cache lives in a fresh XDG_CACHE_HOME each time, so nothing carries over between rounds.
 */
export async function substituteIntoEmptyStore(
  workDir: string,
  url: string,
  publicKey: string,
  root: string,
): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  const scratch = mkdtempSync(join(workDir, 'substitute-'));
  const store = join(scratch, 'store');
  try {
    await run(
      'nix-store',
      [
        '--store',
        store,
        '-r',
        root,
        '--option',
        'substituters',
        url,
        '--option',
        'trusted-public-keys',
        publicKey,
        '--option',
        'narinfo-cache-negative-ttl',
        '0',
        '--option',
        'build-users-group',
        '',
      ],
      { env: baseEnv({ XDG_CACHE_HOME: join(scratch, 'xdg-cache') }), timeoutMs: 600_000 },
    );
    if (!existsSync(join(store, root))) throw new Error(`${root} is not in ${store} after nix-store -r`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
