/**
 * kiln's side: a real `kiln serve` (its default single process) with one public cache, a push
 * token and a netrc file for Nix's own HTTP client, all through the CLI a user would type.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCli, startServerProcess, type ServerProcess } from '../../test/helpers/server-process.js';

export interface KilnCache {
  server: ServerProcess;
  /** `http://127.0.0.1:PORT/cache/NAME`, without a trailing slash. */
  cacheUrl: string;
  name: string;
  publicKey: string;
  pushToken: string;
  netrcFile: string;
  stop(): Promise<void>;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]!.trim();
}

async function cli(args: string[]): Promise<string> {
  const result = await runCli(args);
  if (result.code !== 0) {
    throw new Error(`kiln ${args[0]} ${args[1] ?? ''} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/**
 * Starts a fresh kiln server in `dataDir` and creates cache `name` on it. With
 * KILN_BENCH_CPU_PROF=DIR the server writes a V8 CPU profile there when it stops.
 */
export async function startKilnCache(dataDir: string, name: string): Promise<KilnCache> {
  const profiler = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'cpu-profile.js'));
  const env: Record<string, string> = process.env['KILN_BENCH_CPU_PROF']
    ? { NODE_OPTIONS: `--import=${profiler.href}` }
    : {};
  const server = await startServerProcess(dataDir, [], env);
  try {
    const conn = ['--server', server.url, '--token', server.token];
    const publicKey = lastLine(await cli(['cache', 'create', name, ...conn]));
    if (!publicKey.startsWith(`${name}-1:`)) {
      throw new Error(`kiln cache create printed ${JSON.stringify(publicKey)}, not a public key`);
    }
    const pushToken = lastLine(await cli(['token', 'create', '--cache', name, '--perm', 'push', ...conn]));
    const host = new URL(server.url).hostname;
    const netrcFile = join(dataDir, 'bench.netrc');
    writeFileSync(netrcFile, `machine ${host} login kiln password ${pushToken}\n`);
    chmodSync(netrcFile, 0o600);
    return {
      server,
      cacheUrl: `${server.url}/cache/${name}`,
      name,
      publicKey,
      pushToken,
      netrcFile,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** `kiln push NAME PATH... --server URL --token PUSHTOKEN` as a real CLI process. */
export async function kilnPush(cache: KilnCache, paths: readonly string[]): Promise<void> {
  const result = await runCli(
    ['push', cache.name, ...paths, '--server', cache.server.url, '--token', cache.pushToken],
    {},
    900_000,
  );
  if (result.code !== 0) {
    throw new Error(`kiln push exited ${result.code}: ${result.stderr.trim()}`);
  }
}
