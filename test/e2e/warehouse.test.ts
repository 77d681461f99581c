import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { encodeNix32 } from '../../src/nar/index.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { chainBottomUp, nixCopyTo, run, substitute, writeNetrc } from '../helpers/warehouse.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request: the path is sent exactly as given (no URL normalisation, unlike fetch). */
function raw(
  server: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(server);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const hashOf = (storePath: string): string => basename(storePath).slice(0, 32);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function cli(server: ServerProcess, args: string[]): Promise<string> {
  const result = await runCli([...args, '--server', server.url, '--token', server.token]);
  assert.equal(result.code, 0, `kiln ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

async function dumpNar(path: string): Promise<Buffer> {
  const { spawnSync } = await import('node:child_process');
  const dumped = spawnSync('nix-store', ['--dump', path], { maxBuffer: 256 << 20 });
  assert.equal(dumped.status, 0);
  return dumped.stdout;
}

describe('the warehouse with real nix clients', () => {
  let dir: string;
  let server: ServerProcess;
  let publicKey: string;
  let pushToken: string;
  let pullToken: string;
  let netrc: string;
  let cacheUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-warehouse-'));
    server = await startServerProcess(join(dir, 'data'));
    const created = await cli(server, ['cache', 'create', 'main']);
    publicKey = created.trim().split('\n').at(-1) ?? '';
    pushToken = (await cli(server, ['token', 'create', '--cache', 'main', '--perm', 'push'])).trim();
    pullToken = (await cli(server, ['token', 'create', '--cache', 'main', '--perm', 'pull'])).trim();
    netrc = writeNetrc(dir, pushToken);
    cacheUrl = `${server.url}/cache/main`;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the public key NAME-1:<base64> last and shows it in cache info', async () => {
    assert.match(publicKey, /^main-1:[A-Za-z0-9+/]{43}=$/);
    const info = JSON.parse(await cli(server, ['cache', 'info', 'main', '--json'])) as {
      trustedPublicKeys: string[];
    };
    assert.deepEqual(info.trustedPublicKeys, [publicKey]);
    const text = await cli(server, ['cache', 'info', 'main']);
    assert.match(text, new RegExp(`substituter: +${cacheUrl}`));
  });

  it('serves nix-cache-info with StoreDir, WantMassQuery and Priority', async () => {
    const response = await raw(server.url, 'GET', '/cache/main/nix-cache-info');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/x-nix-cache-info');
    assert.equal(response.body.toString(), 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 41\n');
  });

  it('takes a closure from nix copy --to with a netrc push token; an empty store substitutes all of it', async () => {
    const chain = chainBottomUp(4);
    const top = chain.at(-1)!;
    const copied = await nixCopyTo(cacheUrl, [top], netrc);
    assert.equal(copied.code, 0, copied.stderr);

    const store = join(dir, 'customer-1');
    const got = await substitute(store, top, cacheUrl, publicKey);
    assert.equal(got.code, 0, got.stderr);
    for (const path of chain) assert.ok(existsSync(join(store, path)), `${path} substituted`);
    // nix itself checks the signatures again when asked.
    const verified = await run('nix', [
      '--extra-experimental-features',
      'nix-command',
      'store',
      'verify',
      '--store',
      store,
      '--trusted-public-keys',
      publicKey,
      '-r',
      top,
    ]);
    assert.equal(verified.code, 0, verified.stderr);

    const narinfo = await raw(server.url, 'GET', `/cache/main/${hashOf(top)}.narinfo`);
    assert.equal(narinfo.status, 200);
    const text = narinfo.body.toString();
    for (const field of [
      'StorePath',
      'URL',
      'Compression',
      'FileHash',
      'FileSize',
      'NarHash',
      'NarSize',
      'References',
      'Deriver',
      'Sig',
    ]) {
      assert.match(text, new RegExp(`^${field}: `, 'm'), `narinfo has ${field}`);
    }
    assert.match(text, /^Sig: main-1:/m);
  });

  it('is refused by nix with a wrong key, and when a stored narinfo was tampered with', async () => {
    const [path] = chainBottomUp(1);
    assert.equal((await nixCopyTo(cacheUrl, [path!], netrc)).code, 0);
    const wrongKey = 'main-1:' + Buffer.alloc(32, 7).toString('base64');
    const refused = await substitute(join(dir, 'customer-wrong-key'), path!, cacheUrl, wrongKey);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is not signed by any of the keys in 'trusted-public-keys'/);

    // Change the record behind the server's back: the stored signature no longer matches.
    const db = new Database(join(dir, 'data', 'kiln.db'));
    try {
      const changed = db
        .prepare('UPDATE cache_objects SET nar_size = nar_size + 1 WHERE store_path_hash = ?')
        .run(hashOf(path!)).changes;
      assert.equal(changed, 1);
    } finally {
      db.close();
    }
    // A new server process: nothing memoized from before the change.
    await server.stop();
    server = await startServerProcess(join(dir, 'data'));
    cacheUrl = `${server.url}/cache/main`;
    const tampered = await substitute(join(dir, 'customer-tampered'), path!, cacheUrl, publicKey);
    assert.notEqual(tampered.code, 0, 'nix refuses the tampered narinfo');
    assert.match(tampered.stderr, /is not signed by any of the keys in 'trusted-public-keys'/);
    netrc = writeNetrc(dir, pushToken);
  });

  it('answers 401 without credentials, 403 with the wrong ones, and 404 for a missing path', async () => {
    await cli(server, ['cache', 'create', 'secret', '--private']);
    const secretPull = (await cli(server, ['token', 'create', '--cache', 'secret', '--perm', 'pull'])).trim();
    const missing = '/cache/secret/00000000000000000000000000000000.narinfo';
    assert.equal((await raw(server.url, 'GET', missing)).status, 401);
    assert.equal((await raw(server.url, 'GET', '/cache/secret/nix-cache-info')).status, 401);
    assert.equal(
      (await raw(server.url, 'GET', missing, { headers: bearer('kiln_not-a-real-token') })).status,
      401,
    );
    // main's pull token is a valid token, but not for this cache.
    assert.equal((await raw(server.url, 'GET', missing, { headers: bearer(pullToken) })).status, 403);
    assert.equal((await raw(server.url, 'GET', missing, { headers: bearer(secretPull) })).status, 404);
    const basic = `Basic ${Buffer.from(`anyone:${secretPull}`).toString('base64')}`;
    assert.equal((await raw(server.url, 'GET', missing, { headers: { authorization: basic } })).status, 404);
    // A public cache reads without a token; a pull token never pushes.
    assert.equal(
      (await raw(server.url, 'GET', '/cache/main/00000000000000000000000000000000.narinfo')).status,
      404,
    );
    const put = await raw(server.url, 'PUT', '/cache/main/00000000000000000000000000000000.narinfo', {
      headers: { ...bearer(pullToken), 'content-type': 'text/x-nix-narinfo' },
      body: 'StorePath: /nix/store/00000000000000000000000000000000-x\n',
    });
    assert.equal(put.status, 403);
    assert.equal((await raw(server.url, 'PUT', '/cache/main/nar/x.nar', { body: 'x' })).status, 401);
  });

  it('substitutes from a private cache with a netrc pull token, and not without it', async () => {
    const [path] = chainBottomUp(2);
    const secretPush = (await cli(server, ['token', 'create', '--cache', 'secret', '--perm', 'push'])).trim();
    const secretPull = (await cli(server, ['token', 'create', '--cache', 'secret', '--perm', 'pull'])).trim();
    const url = `${server.url}/cache/secret`;
    const key = (await cli(server, ['cache', 'info', 'secret', '--json'])).match(/secret-1:[^"]+/)?.[0] ?? '';
    assert.equal((await nixCopyTo(url, [path!], writeNetrc(dir, secretPush))).code, 0);
    const denied = await substitute(join(dir, 'customer-denied'), path!, url, key);
    assert.notEqual(denied.code, 0);
    const allowed = await substitute(
      join(dir, 'customer-private'),
      path!,
      url,
      key,
      writeNetrc(dir, secretPull),
    );
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('rejects ../ and encoded traversal in any URL with 400', async () => {
    for (const path of [
      '/cache/main/../../etc/passwd',
      '/cache/main/nar/..%2f..%2fkiln.db',
      '/cache/main/%2e%2e/nix-cache-info',
      '/cache/..%2Fmain/nix-cache-info',
      '/api/v1/../healthz',
      '/cache/main/log/%2E%2E%5Cx',
    ]) {
      const response = await raw(server.url, 'GET', path, { headers: bearer(server.token) });
      assert.equal(response.status, 400, path);
    }
  });

  it('rejects a narinfo whose NarHash does not match its NAR, and a NAR whose name does not match its bytes', async () => {
    const [path] = chainBottomUp(1);
    const nar = await dumpNar(path!);
    const fileHash = encodeNix32(createHash('sha256').update(nar).digest());
    const headers = { ...bearer(pushToken), 'content-type': 'application/x-nix-nar' };
    const badName = await raw(server.url, 'PUT', `/cache/main/nar/${'1'.repeat(52)}.nar`, {
      headers,
      body: nar,
    });
    assert.equal(badName.status, 400);
    assert.match(badName.body.toString(), /does not match its name/);
    const notNar = Buffer.from('this is not a NAR');
    const notNarHash = encodeNix32(createHash('sha256').update(notNar).digest());
    assert.equal(
      (await raw(server.url, 'PUT', `/cache/main/nar/${notNarHash}.nar`, { headers, body: notNar })).status,
      400,
    );

    const stored = await raw(server.url, 'PUT', `/cache/main/nar/${fileHash}.nar`, { headers, body: nar });
    assert.equal(stored.status, 201, stored.body.toString());
    const narHash = `sha256:${encodeNix32(createHash('sha256').update(nar).digest())}`;
    const narinfo = (hash: string, size: number, refs = '') =>
      `StorePath: ${path}\nURL: nar/${fileHash}.nar\nCompression: none\nNarHash: ${hash}\nNarSize: ${size}\nReferences: ${refs}\n`;
    const put = (body: string) =>
      raw(server.url, 'PUT', `/cache/main/${hashOf(path!)}.narinfo`, {
        headers: { ...bearer(pushToken), 'content-type': 'text/x-nix-narinfo' },
        body,
      });
    const wrongHash = await put(narinfo(`sha256:${'0'.repeat(52)}`, nar.length));
    assert.equal(wrongHash.status, 400);
    assert.match(wrongHash.body.toString(), /does not match|uploaded NAR has/);
    assert.equal((await put(narinfo(narHash, nar.length + 1))).status, 400);
    const absentRef = await put(narinfo(narHash, nar.length, '00000000000000000000000000000000-absent'));
    assert.equal(absentRef.status, 400);
    assert.match(absentRef.body.toString(), /not in cache main/);
    assert.equal((await raw(server.url, 'GET', `/cache/main/${hashOf(path!)}.narinfo`)).status, 404);
    assert.equal((await put(narinfo(narHash, nar.length))).status, 204);
    assert.equal((await raw(server.url, 'GET', `/cache/main/${hashOf(path!)}.narinfo`)).status, 200);
  });

  it('stores a NAR once whatever compression it comes in, and serves byte ranges', async () => {
    const [path] = chainBottomUp(1);
    assert.equal((await nixCopyTo(`${cacheUrl}?compression=zstd`, [path!], netrc)).code, 0);
    await cli(server, ['cache', 'create', 'second']);
    const secondPush = (await cli(server, ['token', 'create', '--cache', 'second', '--perm', 'push'])).trim();
    assert.equal(
      (await nixCopyTo(`${server.url}/cache/second?compression=xz`, [path!], writeNetrc(dir, secondPush)))
        .code,
      0,
    );
    const first = (await raw(server.url, 'GET', `/cache/main/${hashOf(path!)}.narinfo`)).body.toString();
    const second = (await raw(server.url, 'GET', `/cache/second/${hashOf(path!)}.narinfo`)).body.toString();
    const url = /^URL: (.*)$/m.exec(first)?.[1];
    assert.ok(url?.endsWith('.nar.zst'));
    assert.equal(/^URL: (.*)$/m.exec(second)?.[1], url, 'the second cache points to the same stored file');

    const whole = await raw(server.url, 'GET', `/cache/main/${url}`);
    assert.equal(whole.status, 200);
    const size = whole.body.length;
    assert.equal(Number(/^FileSize: (\d+)$/m.exec(first)?.[1]), size);
    const part = await raw(server.url, 'GET', `/cache/main/${url}`, { headers: { range: 'bytes=5-9' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 5-9/${size}`);
    assert.deepEqual(part.body, whole.body.subarray(5, 10));
    const tail = await raw(server.url, 'GET', `/cache/main/${url}`, { headers: { range: 'bytes=-4' } });
    assert.deepEqual(tail.body, whole.body.subarray(size - 4));
    const beyond = await raw(server.url, 'GET', `/cache/main/${url}`, {
      headers: { range: `bytes=${size}-` },
    });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${size}`);
    const head = await raw(server.url, 'HEAD', `/cache/main/${url}`);
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), size);
  });

  it('keeps build logs that nix store copy-log uploads and serves them at log/<drv>', async () => {
    const marker = `hello from the build log ${Date.now()}`;
    const built = await run('nix-build', [
      '--no-out-link',
      '-E',
      `derivation { name = "logged"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo '${marker}'; echo done > $out" ]; }`,
    ]);
    assert.equal(built.code, 0, built.stderr);
    const deriver = (await run('nix-store', ['-q', '--deriver', built.stdout.trim()])).stdout.trim();
    const copied = await run('nix', [
      '--extra-experimental-features',
      'nix-command',
      'store',
      'copy-log',
      '--option',
      'netrc-file',
      netrc,
      '--to',
      cacheUrl,
      deriver,
    ]);
    assert.equal(copied.code, 0, copied.stderr);
    const got = await raw(server.url, 'GET', `/cache/main/log/${basename(deriver)}`);
    assert.equal(got.status, 200);
    assert.match(got.body.toString(), new RegExp(marker));
    assert.equal((await raw(server.url, 'GET', `/cache/main/log/${'0'.repeat(32)}-x.drv`)).status, 404);
    const anonymous = await raw(server.url, 'PUT', `/cache/main/log/${basename(deriver)}`, {
      body: 'forged',
    });
    assert.equal(anonymous.status, 401);
  });

  it('revokes a token at once', async () => {
    const token = (
      await cli(server, ['token', 'create', '--cache', 'main', '--perm', 'push', '--ttl', '1h'])
    ).trim();
    const listed = JSON.parse(await cli(server, ['token', 'list', '--cache', 'main', '--json'])) as {
      tokens: { id: string; expiresAt: number | null }[];
    };
    const created = listed.tokens.at(-1)!;
    assert.ok(created.expiresAt !== null && created.expiresAt > Date.now());
    const probe = () =>
      raw(server.url, 'POST', '/api/v1/caches/main/missing-paths', {
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({ storePathHashes: ['0'.repeat(32)] }),
      });
    assert.equal((await probe()).status, 200);
    await cli(server, ['token', 'revoke', created.id]);
    assert.equal((await probe()).status, 401);
  });

  it('rotates keys: the new key signs alongside the old one during the overlap, then alone', async () => {
    const [path] = chainBottomUp(1);
    await cli(server, ['cache', 'create', 'rotating']);
    const push = (await cli(server, ['token', 'create', '--cache', 'rotating', '--perm', 'push'])).trim();
    const url = `${server.url}/cache/rotating`;
    assert.equal((await nixCopyTo(url, [path!], writeNetrc(dir, push))).code, 0);
    const rotated = (await cli(server, ['cache', 'rotate-key', 'rotating', '--overlap', '2s']))
      .trim()
      .split('\n');
    const newKey = rotated.at(-1)!;
    assert.match(newKey, /^rotating-2:/);
    const sigs = async () =>
      [
        ...(await raw(server.url, 'GET', `/cache/rotating/${hashOf(path!)}.narinfo`)).body
          .toString()
          .matchAll(/^Sig: ([^:]+):/gm),
      ].map((m) => m[1]);
    assert.deepEqual((await sigs()).sort(), ['rotating-1', 'rotating-2']);
    // A client that trusts only the new key substitutes during the overlap.
    const got = await substitute(join(dir, 'customer-rotated'), path!, url, newKey);
    assert.equal(got.code, 0, got.stderr);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // Memoized narinfos expire with the key set; ask until the old signature is gone.
    assert.deepEqual(await sigs(), ['rotating-2']);
  });

  it('counts hits, misses, bytes served and uploads on cache info and in /metrics', async () => {
    type Info = { counters: Record<string, number>; usage: Record<string, number> };
    const info = async () => JSON.parse(await cli(server, ['cache', 'info', 'main', '--json'])) as Info;
    const [path] = chainBottomUp(1);
    const before = await info();
    assert.equal((await nixCopyTo(cacheUrl, [path!], netrc)).code, 0);
    const narinfo = (await raw(server.url, 'GET', `/cache/main/${hashOf(path!)}.narinfo`)).body.toString();
    await raw(server.url, 'GET', '/cache/main/00000000000000000000000000000000.narinfo');
    const nar = await raw(server.url, 'GET', `/cache/main/${/^URL: (.*)$/m.exec(narinfo)?.[1]}`);
    const after = await info();
    assert.equal(after.counters['uploads'], before.counters['uploads']! + 1);
    assert.ok(after.counters['narinfoHits']! >= before.counters['narinfoHits']! + 1);
    assert.ok(after.counters['narinfoMisses']! >= before.counters['narinfoMisses']! + 1);
    assert.equal(after.counters['narsServed'], before.counters['narsServed']! + 1);
    assert.equal(after.counters['narBytesServed'], before.counters['narBytesServed']! + nar.body.length);
    assert.equal(after.usage['objects'], before.usage['objects']! + 1);
    const metrics = (
      await raw(server.url, 'GET', '/metrics', { headers: bearer(server.token) })
    ).body.toString();
    const hits = /^kiln_cache_narinfo_hits_total\{cache="main"\} (\d+)$/m.exec(metrics)?.[1];
    assert.ok(hits !== undefined && Number(hits) >= after.counters['narinfoHits']!, metrics);
    assert.match(metrics, /^kiln_cache_objects\{cache="main"\} \d+$/m);
  });

  it('collects garbage by retention, keeping pinned closures and whatever a kept path references', async () => {
    await cli(server, ['cache', 'create', 'gc', '--retention', '7']);
    const push = (await cli(server, ['token', 'create', '--cache', 'gc', '--perm', 'push'])).trim();
    const url = () => `${server.url}/cache/gc`;
    const pinned = chainBottomUp(3);
    const loose = chainBottomUp(2);
    assert.equal((await nixCopyTo(url(), [pinned.at(-1)!, loose.at(-1)!], writeNetrc(dir, push))).code, 0);
    await cli(server, ['cache', 'pin', 'gc', pinned.at(-1)!]);

    // Ten days pass: everything was last fetched or pushed long ago (the server is stopped so
    // that no buffered access time lands after the change).
    await server.stop();
    const db = new Database(join(dir, 'data', 'kiln.db'));
    let narKey: string;
    try {
      narKey = db
        .prepare<[string], string>(
          "SELECT n.file_key FROM nars n JOIN cache_objects o ON o.nar_hash = n.nar_hash WHERE o.cache_name = 'gc' AND o.store_path_hash = ?",
        )
        .pluck()
        .get(hashOf(loose[0]!))!;
      db.prepare("UPDATE cache_objects SET last_accessed_at = 0 WHERE cache_name = 'gc'").run();
      db.prepare('UPDATE nars SET created_at = 0').run();
    } finally {
      db.close();
    }
    server = await startServerProcess(join(dir, 'data'));
    cacheUrl = `${server.url}/cache/main`;

    const dry = JSON.parse(await cli(server, ['cache', 'gc', 'gc', '--dry-run', '--json'])) as {
      deletedPaths: number;
      deletedBytes: number;
      storePaths: string[];
    };
    assert.equal(dry.deletedPaths, 2);
    assert.ok(dry.deletedBytes > 0);
    assert.deepEqual([...dry.storePaths].sort(), [...loose].sort());
    // Asking for a narinfo counts as a fetch, so only look after the collection.
    const status = async (path: string) =>
      (await raw(server.url, 'HEAD', `/cache/gc/${hashOf(path)}.narinfo`)).status;
    assert.ok(existsSync(join(dir, 'data', 'warehouse', ...narKey.split('/'))), 'a dry run deletes nothing');
    const text = await cli(server, ['cache', 'gc', 'gc']);
    assert.match(text, /2/);
    for (const path of loose) assert.equal(await status(path), 404, `${path} collected`);
    for (const path of pinned) assert.equal(await status(path), 200, `${path} kept (pinned closure)`);
    assert.equal(
      existsSync(join(dir, 'data', 'warehouse', ...narKey.split('/'))),
      false,
      'its NAR file is gone',
    );
    const got = await substitute(
      join(dir, 'customer-after-gc'),
      pinned.at(-1)!,
      url(),
      (await cli(server, ['cache', 'info', 'gc', '--json'])).match(/gc-1:[^"]+/)![0],
    );
    assert.equal(got.code, 0, got.stderr);
  });

  it('warms a cache and writes a worker nix.conf from the server machine', async () => {
    const chain = chainBottomUp(2);
    const data = join(dir, 'data');
    const warm = await runCli(['cache', 'warm', 'main', chain.at(-1)!, '--data', data]);
    assert.equal(warm.code, 0, warm.stderr);
    assert.match(warm.stdout, /pushed 2 paths to main/);
    for (const path of chain) {
      assert.equal((await raw(server.url, 'HEAD', `/cache/main/${hashOf(path)}.narinfo`)).status, 200);
    }

    const host = new URL(server.url).host;
    const conf = await runCli([
      'cache',
      'worker-config',
      'w1',
      '--local-cache',
      'main',
      '--shared-store',
      '--data',
      data,
      '--listen',
      host,
    ]);
    assert.equal(conf.code, 0, conf.stderr);
    assert.match(conf.stdout, new RegExp(`^substituters = ${server.url}/cache/main`, 'm'));
    assert.ok(conf.stdout.includes(publicKey), 'trusts the cache key');
    const shown = await run('nix', ['--extra-experimental-features', 'nix-command', 'show-config'], {
      NIX_CONF_DIR: join(data, 'workers', 'w1'),
    });
    assert.match(shown.stdout, new RegExp(`^substituters = ${server.url}/cache/main`, 'm'));
  });

  it('leaves nothing visible when the server is killed in the middle of an upload', async () => {
    // 32 MiB of NAR-looking bytes: the name cannot match, but the server never gets that far.
    const name = `nar/${'2'.repeat(52)}.nar`;
    const { hostname, port } = new URL(server.url);
    const upload = request({
      host: hostname,
      port,
      method: 'PUT',
      path: `/cache/main/${name}`,
      headers: {
        ...bearer(pushToken),
        'content-type': 'application/x-nix-nar',
        'content-length': String(32 << 20),
      },
    });
    upload.on('error', () => undefined);
    const chunk = Buffer.alloc(1 << 20, 1);
    for (let i = 0; i < 8; i++) upload.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.kill();
    upload.destroy();
    server = await startServerProcess(join(dir, 'data'));
    cacheUrl = `${server.url}/cache/main`;
    const head = await raw(server.url, 'HEAD', `/cache/main/${name}`, { headers: bearer(pushToken) });
    assert.equal(head.status, 404);
    assert.equal(existsSync(join(dir, 'data', 'warehouse', ...name.split('/'))), false);
    // The cache still works after the crash.
    const [path] = chainBottomUp(1);
    assert.equal((await nixCopyTo(cacheUrl, [path!], netrc)).code, 0);
    assert.equal((await substitute(join(dir, 'customer-after-crash'), path!, cacheUrl, publicKey)).code, 0);
  });
});
