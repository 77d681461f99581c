import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it, type TestContext } from 'node:test';
import { git } from '../helpers/git-repos.js';
import { kilnBin, runCli } from '../helpers/server-process.js';
import { tempDir } from '../helpers/tmp.js';
import { CORPUS, FORMATS, nixPrefetchUrl } from '../integration/packaging/prefetch/corpus.js';
import { serveRoutes } from '../integration/packaging/prefetch/http-fixture.js';

function nixHashConvert(to: 'sri' | 'base16' | 'base64', type: string, hash: string): string {
  return execFileSync(
    'nix',
    ['--extra-experimental-features', 'nix-command', 'hash', `to-${to}`, '--type', type, hash],
    {
      encoding: 'utf8',
    },
  ).trim();
}

function tarball(t: TestContext): string {
  const dir = tempDir(t);
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  CORPUS[0]?.build(tree);
  const archive = join(dir, 'pkg-1.0.tar.gz');
  FORMATS.find((f) => f.name === 'tar.gz')?.make(tree, archive);
  return archive;
}

describe('kiln prefetch (the real bin)', () => {
  it('prints only the SRI hash of a file, as Nix computes it', async (t) => {
    const archive = tarball(t);
    const result = await runCli(['prefetch', archive]);
    assert.equal(result.code, 0, result.stderr);
    const nix = await nixPrefetchUrl(pathToFileURL(archive).href);
    assert.equal(result.stdout, `${nixHashConvert('sri', 'sha256', nix.hash)}\n`);
    assert.equal(result.stderr, '');
  });

  it('prints every form of the hash, the store path and the source with --json --unpack', async (t) => {
    const archive = tarball(t);
    const url = pathToFileURL(archive).href;
    const result = await runCli(['prefetch', '--unpack', '--json', url]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    const nix = await nixPrefetchUrl(url, { unpack: true });
    const sri = nixHashConvert('sri', 'sha256', nix.hash);
    assert.deepEqual(json, {
      hash: sri,
      sri,
      nix32: nix.hash,
      hex: nixHashConvert('base16', 'sha256', nix.hash),
      base64: nixHashConvert('base64', 'sha256', nix.hash),
      algo: 'sha256',
      method: 'recursive',
      name: 'pkg-1.0.tar.gz',
      storePath: nix.storePath,
      source: { kind: 'file', location: url },
    });
  });

  it('honours --type and --name over HTTP', async (t) => {
    const archive = tarball(t);
    const { readFileSync } = await import('node:fs');
    const base = await serveRoutes(t, { '/dl/pkg-1.0.tar.gz': { body: readFileSync(archive) } });
    const url = `${base}/dl/pkg-1.0.tar.gz`;
    const result = await runCli([
      'prefetch',
      url,
      '--unpack',
      '--type',
      'sha512',
      '--name',
      'pkg-src',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as {
      nix32: string;
      storePath: string;
      algo: string;
      name: string;
    };
    const nix = await nixPrefetchUrl(url, { unpack: true, type: 'sha512', name: 'pkg-src' });
    assert.equal(json.nix32, nix.hash);
    assert.equal(json.storePath, nix.storePath);
    assert.equal(json.algo, 'sha512');
    assert.equal(json.name, 'pkg-src');
  });

  it('hashes a git revision with --rev and reports the commit', async (t) => {
    const repo = join(tempDir(t), 'repo');
    mkdirSync(repo);
    git(repo, ['init', '--quiet', '--initial-branch=main']);
    writeFileSync(join(repo, 'default.nix'), '{ }\n');
    git(repo, ['add', '--all']);
    git(repo, ['commit', '--quiet', '-m', 'one']);
    const rev = git(repo, ['rev-parse', 'HEAD']);
    const result = await runCli(['prefetch', `git+file://${repo}`, '--rev', rev, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { sri: string; name: string; source: unknown };
    const narHash = execFileSync(
      'nix',
      [
        '--extra-experimental-features',
        'nix-command',
        'eval',
        '--impure',
        '--raw',
        '--expr',
        `(builtins.fetchGit { url = "file://${repo}"; rev = "${rev}"; }).narHash`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(json.sri, narHash);
    assert.equal(json.name, 'source');
    assert.deepEqual(json.source, { kind: 'git', location: `file://${repo}`, rev });
  });

  it('exits 2 with a usage error for bad input', async () => {
    const none = await runCli(['prefetch']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: 'kiln prefetch' needs URL_OR_PATH \(KILN_ERR_VALIDATION\)$/m);
    const badType = await runCli(['prefetch', 'x', '--type', 'sha3']);
    assert.equal(badType.code, 2);
    assert.match(
      badType.stderr,
      /^error: option --type must be one of sha256, sha512, sha1, md5, not 'sha3' \(KILN_ERR_VALIDATION\)$/m,
    );
    const missing = await runCli(['prefetch', '/nonexistent/kiln-prefetch-test.tar.gz']);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error: \/nonexistent\/kiln-prefetch-test\.tar\.gz: no such file or directory \(KILN_ERR_FILE_NOT_FOUND\)$/m,
    );
  });

  it('stops on SIGINT and removes its temporary files', async (t) => {
    const base = await serveRoutes(t, { '/slow.tar.gz': { stall: Buffer.alloc(64 * 1024, 7) } });
    const tmp = tempDir(t);
    const child = spawn(process.execPath, [kilnBin, 'prefetch', '--unpack', `${base}/slow.tar.gz`], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Wait until the download has begun (its temporary directory exists), then interrupt.
    while (readdirSync(tmp).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    assert.equal(await exited, 1);
    assert.match(stderr, /^error: prefetch interrupted by SIGINT \(KILN_ERR_INTERNAL\)$/m);
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('exits 1 for a failed download or a corrupt archive', async (t) => {
    const base = await serveRoutes(t, { '/bad.tar.gz': { body: Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]) } });
    const notFound = await runCli(['prefetch', `${base}/gone.tar.gz`]);
    assert.equal(notFound.code, 1);
    assert.equal(notFound.stdout, '');
    assert.equal(notFound.stderr, `error: GET ${base}/gone.tar.gz: 404 Not Found (KILN_ERR_FETCH)\n`);
    const corrupt = await runCli(['prefetch', '--unpack', `${base}/bad.tar.gz`]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^error: archive '.*\/bad\.tar\.gz' is corrupt: .* \(KILN_ERR_ARCHIVE\)$/m);
  });
});
