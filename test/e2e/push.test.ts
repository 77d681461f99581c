import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildChain } from '../helpers/closure.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** Runs the CLI and returns its stdout, failing the test on a non-zero exit. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const res = await runCli(args, env);
  assert.equal(res.code, 0, `kiln ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

/** `nix-store -r` into a fresh store from the cache: what a customer's machine does. */
function substitute(storeDir: string, path: string, cacheUrl: string, key: string) {
  return spawnSync(
    'nix-store',
    [
      '--store',
      storeDir,
      '--realise',
      path,
      '--option',
      'substituters',
      cacheUrl,
      '--option',
      'trusted-public-keys',
      key,
    ],
    { encoding: 'utf8' },
  );
}

describe('kiln push to a real kiln serve, substituted by the real Nix', () => {
  let dir: string;
  let server: ServerProcess;
  let pushEnv: Record<string, string>;
  let pullEnv: Record<string, string>;
  let key: string;
  let chain: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-push-'));
    server = await startServerProcess(join(dir, 'data'));
    const admin = { KILN_SERVER: server.url, KILN_TOKEN: server.token };
    // `kiln cache create` prints the public key as its last line.
    key = (await cli(['cache', 'create', 'team'], admin)).trim().split('\n').at(-1)!;
    assert.match(key, /^team-1:/);
    const push = (await cli(['token', 'create', '--cache', 'team', '--perm', 'push'], admin)).trim();
    const pull = (await cli(['token', 'create', '--cache', 'team', '--perm', 'pull'], admin)).trim();
    pushEnv = { KILN_SERVER: server.url, KILN_TOKEN: push };
    pullEnv = { KILN_SERVER: server.url, KILN_TOKEN: pull };
    chain = buildChain(4);
    symlinkSync(chain[0]!, join(dir, 'result'));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes a closure given as a result link, then finds everything already there', async () => {
    const first = await runCli(['push', 'team', join(dir, 'result'), '--jobs', '2'], pushEnv);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^pushed 4 path\(s\), .* compressed \(.* NAR\) to team in [\d.]+ s; 0 already present\n$/,
    );
    assert.match(first.stderr, /pushing 4 path\(s\) to team \(0 already there\)/);
    for (const path of chain) assert.ok(first.stderr.includes(path), `progress names ${path}`);

    const again = await runCli(['push', 'team', chain[0]!, '--json'], pushEnv);
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [summary.closure, summary.pushed, summary.alreadyPresent, summary.bytesUploaded],
      [4, 0, 4, 0],
    );
  });

  it('lets the real nix-store substitute the closure into an empty store with the cache key', () => {
    const store = join(dir, 'customer');
    const res = substitute(store, chain[0]!, `${server.url}/cache/team`, key);
    assert.equal(res.status, 0, res.stderr);
    for (const path of chain) {
      assert.match(res.stderr, new RegExp(`copying path '${path}' from '${server.url}/cache/team'`));
    }
    // The top path's content names its reference, exactly as built.
    assert.equal(readFileSync(join(store, chain[0]!), 'utf8'), readFileSync(chain[0]!, 'utf8'));
    const listed = execFileSync('nix-store', ['--store', store, '--query', '--requisites', chain[0]!], {
      encoding: 'utf8',
    });
    assert.deepEqual(listed.trim().split('\n').sort(), [...chain].sort());
  });

  it('is refused by Nix when the trusted key is not the cache key', () => {
    const other = 'other-1:' + Buffer.alloc(32, 7).toString('base64');
    const res = substitute(join(dir, 'stranger'), chain[0]!, `${server.url}/cache/team`, other);
    assert.notEqual(res.status, 0);
  });

  it('exits 2 with the server message when the token may only pull', async (t) => {
    const fresh = buildChain(2);
    t.diagnostic(fresh[0]!);
    const res = await runCli(['push', 'team', fresh[0]!], pullEnv);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /^error: .*403.* \(KILN_ERR_FORBIDDEN\)$/m);
  });

  it('rejects paths outside the store and missing files before talking to the server', async () => {
    const outside = await runCli(['push', 'team', dir], pushEnv);
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /is not a store path/);
    const missing = await runCli(['push', 'team', join(dir, 'nope')], pushEnv);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist \(KILN_ERR_FILE_NOT_FOUND\)/);
  });
});
