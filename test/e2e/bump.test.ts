import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  LIB_NIX,
  nixPrefetchUnpack,
  packageNix,
  perSystemPackageNix,
  releaseHashes,
  startReleaseServer,
  writePackage,
  type Release,
} from '../helpers/bump-package.js';
import { git } from '../helpers/git-repos.js';
import { runCli } from '../helpers/server-process.js';
import { tempDir } from '../helpers/tmp.js';

const V1: Release = { version: '1.0.0', deps: ['dep-a.txt', 'dep-b.txt'] };
const V2: Release = { version: '1.1.0', deps: ['dep-a.txt', 'dep-b.txt', 'dep-c.txt'] };
const NIX_BUILD = ['--option', 'build-users-group', '', '--option', 'substituters', ''];
const TIMEOUT = 600_000;
const exec = promisify(execFile);

interface BumpJson {
  oldVersion: string;
  newVersion: string;
  hashes: { path: string; old?: string; new: string; method: string; verified: boolean; system?: string }[];
  mismatches: { drv: string; specified: string; got: string }[];
  staleHashes: string[];
  outputs: string[];
  verify?: { command: string; exitCode: number; output: string[] };
  diff: string;
  written: boolean;
  branch?: { branch: string; commit: string; parent: string };
  message: string;
}

function hashOf(text: string, attr: string): string | undefined {
  return new RegExp(`\\n\\s*${attr.replace('.', '\\.')} = "([^"]*)";`).exec(text)?.[1];
}

describe('kiln bump with the real nix', { timeout: TIMEOUT }, () => {
  it('bumps a package: new source hash prefetched, vendor hash reported by Nix, verified, committed on a branch', async (t) => {
    const server = await startReleaseServer(t, [V1, V2]);
    const old = await releaseHashes(t, server, V1);
    const fresh = await releaseHashes(t, server, V2);
    assert.notEqual(old.vendor, fresh.vendor, 'the new release needs a new vendor hash');
    const repo = tempDir(t, 'kiln-bump-repo-');
    const file = writePackage(repo, server.url, '1.0.0', old);
    writeFileSync(join(repo, '.gitignore'), 'result\n');
    git(repo, ['init', '-q', '-b', 'main']);
    git(repo, ['add', '.']);
    git(repo, ['commit', '-q', '-m', 'hello 1.0.0']);
    // The old version is built, so its fixed outputs are in the store as they would be for a user.
    await exec('nix-build', [...NIX_BUILD, '--no-out-link', file]);
    const before = readFileSync(file, 'utf8');

    const run = await runCli(
      ['bump', file, '--version', '1.1.0', '--verify', 'result/bin/hello', '--commit', '--json'],
      {},
      TIMEOUT,
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as BumpJson;
    assert.equal(result.oldVersion, '1.0.0');
    assert.equal(result.newVersion, '1.1.0');

    // The hashes are the ones the real Nix computes for the new release.
    const src = result.hashes.find((h) => h.path === 'src.hash');
    const vendor = result.hashes.find((h) => h.path === 'vendorHash');
    assert.deepEqual(
      { new: src?.new, old: src?.old, method: src?.method, verified: src?.verified },
      { new: fresh.src, old: old.src, method: 'prefetch', verified: true },
    );
    assert.deepEqual(
      { new: vendor?.new, old: vendor?.old, method: vendor?.method, verified: vendor?.verified },
      { new: fresh.vendor, old: old.vendor, method: 'nix', verified: true },
    );
    // Nix reported the vendor hash: the derivation it built, what was specified, what it got.
    const reported = result.mismatches.find((m) => m.got === fresh.vendor);
    assert.ok(reported, JSON.stringify(result.mismatches));
    assert.match(reported.drv, /^\/nix\/store\/[a-z0-9]{32}-vendor\.drv$/);
    assert.equal(reported.specified, 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    assert.deepEqual(result.verify?.output, [
      'hello 1.1.0: main 1.1.0, deps: dep-a.txt dep-b.txt dep-c.txt ',
    ]);
    assert.equal(result.verify?.exitCode, 0);

    // The work tree is untouched; the branch holds the change.
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.equal(git(repo, ['status', '--porcelain']).trim(), '');
    assert.equal(git(repo, ['rev-parse', '--abbrev-ref', 'HEAD']).trim(), 'main');
    assert.equal(result.branch?.branch, 'kiln/bump-hello-1.1.0');
    // (the git helper trims its output)
    const onBranch = `${git(repo, ['show', 'kiln/bump-hello-1.1.0:package.nix'])}\n`;
    assert.equal(
      onBranch,
      packageNix(server.url, '1.1.0', { src: fresh.src, vendor: fresh.vendor }).replace(
        `# previous vendorHash: ${fresh.vendor}`,
        `# previous vendorHash: ${old.vendor}`,
      ),
      'only the version and the two hash literals change; the comment quoting the old vendor hash stays',
    );
    assert.equal(
      git(repo, ['rev-parse', 'kiln/bump-hello-1.1.0^']).trim(),
      git(repo, ['rev-parse', 'main']).trim(),
    );
    const message = git(repo, ['log', '-1', '--format=%B', 'kiln/bump-hello-1.1.0']);
    assert.match(message, /^hello: 1\.0\.0 -> 1\.1\.0\n/);
    assert.ok(message.includes(`src.hash: ${old.src} -> ${fresh.src}`), message);
    assert.ok(message.includes(`vendorHash: ${old.vendor} -> ${fresh.vendor}`), message);
    assert.ok(message.includes('$ result/bin/hello  (exit 0)'), message);
    assert.ok(message.includes('hello 1.1.0: main 1.1.0'), message);
    assert.match(run.stderr, /stale-hash guard: fetching 2 fixed-output derivation\(s\) again/);

    // The branch builds with plain nix-build to the output kiln verified.
    const checkout = tempDir(t, 'kiln-bump-checkout-');
    git(checkout, ['clone', '-q', '-b', 'kiln/bump-hello-1.1.0', repo, '.']);
    const built = (
      await exec('nix-build', [...NIX_BUILD, '--no-out-link', join(checkout, 'package.nix')], {
        encoding: 'utf8',
      })
    ).stdout.trim();
    assert.deepEqual(result.outputs, [built]);
  });

  it('--dry-run prints the diff and writes nothing; without --commit the file is rewritten in place', async (t) => {
    const server = await startReleaseServer(t, [V1, V2]);
    const old = await releaseHashes(t, server, V1);
    const fresh = await releaseHashes(t, server, V2);
    const dir = tempDir(t, 'kiln-bump-plain-');
    const file = writePackage(dir, server.url, '1.0.0', old);
    const before = readFileSync(file, 'utf8');

    const dry = await runCli(['bump', file, '--version', '1.1.0', '--dry-run'], {}, TIMEOUT);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.ok(dry.stdout.startsWith('--- a/package.nix\n+++ b/package.nix\n'), dry.stdout);
    for (const line of [
      '-  version = "1.0.0";',
      '+  version = "1.1.0";',
      `-    hash = "${old.src}"; # the release tarball`,
      `+    hash = "${fresh.src}"; # the release tarball`,
      `-  vendorHash = "${old.vendor}";`,
      `+  vendorHash = "${fresh.vendor}";`,
    ]) {
      assert.ok(dry.stdout.split('\n').includes(line), `${line}\n${dry.stdout}`);
    }
    assert.equal(dry.stdout.split('\n').filter((l) => /^[-+] /.test(l) || /^[-+]\s/.test(l)).length, 6);

    const wet = await runCli(['bump', file, '--version', '1.1.0'], {}, TIMEOUT);
    assert.equal(wet.code, 0, wet.stderr);
    const after = readFileSync(file, 'utf8');
    assert.equal(hashOf(after, 'vendorHash'), fresh.vendor);
    assert.equal(hashOf(after, 'version'), '1.1.0');
    assert.ok(after.includes(`# previous vendorHash: ${old.vendor}`));
    assert.match(wet.stdout, /updated .*package\.nix: 1\.0\.0 -> 1\.1\.0/);
  });

  it('updates every per-system source hash (identical ones too) and builds two systems', async (t) => {
    const systems = { 'x86_64-linux': 'linux', 'i686-linux': 'linux', 'aarch64-darwin': 'darwin' };
    const server = await startReleaseServer(t, [
      { ...V1, systems },
      { ...V2, systems },
    ]);
    const url = (v: string, s: string): string => `${server.url}/hello-${v}-${s}.tar.gz`;
    const oldHashes: Record<string, string> = {};
    for (const system of Object.keys(systems))
      oldHashes[system] = await nixPrefetchUnpack(url('1.0.0', system));
    const vendorOld = (await releaseHashes(t, server, V1)).vendor;
    const dir = tempDir(t, 'kiln-bump-systems-');
    writePackage(dir, server.url, '1.0.0', { src: '', vendor: '' });
    const file = join(dir, 'package.nix');
    writeFileSync(file, perSystemPackageNix(server.url, '1.0.0', oldHashes, vendorOld));
    // Same tarball contents on the two Linux systems: the same hash string appears twice.
    assert.equal(oldHashes['x86_64-linux'], oldHashes['i686-linux']);

    const run = await runCli(
      ['bump', file, '--version', '1.1.0', '--system', 'x86_64-linux', '--system', 'i686-linux', '--json'],
      {},
      TIMEOUT,
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as BumpJson;
    const text = readFileSync(file, 'utf8');
    for (const system of Object.keys(systems)) {
      const expected = await nixPrefetchUnpack(url('1.1.0', system));
      const change = result.hashes.find((h) => h.path === `hashes.${system}`);
      assert.equal(change?.new, expected, system);
      assert.equal(change?.method, 'prefetch', system);
      assert.ok(text.includes(`    ${system} = "${expected}";`), text);
    }
    // Darwin cannot be built here: prefetched, not fetched again by Nix. Linux ones were.
    assert.equal(result.hashes.find((h) => h.path === 'hashes.aarch64-darwin')?.verified, false);
    assert.equal(result.hashes.find((h) => h.path === 'hashes.i686-linux')?.verified, true);
    assert.equal(result.outputs.length, 2);
    assert.equal(hashOf(text, 'vendorHash'), (await releaseHashes(t, server, V2)).vendor);
  });

  it('the stale-hash guard catches a re-released tarball that the store already holds under the prefetched hash', async (t) => {
    // 1.1.0 is fetched once (the store keeps it), then upstream replaces the tarball.
    const server = await startReleaseServer(t, [V1, { ...V2, replacedAfter: 2 }]);
    const old = await releaseHashes(t, server, V1);
    const firstCut = await nixPrefetchUnpack(`${server.url}/hello-1.1.0.tar.gz`); // request 1: original
    const dir = tempDir(t, 'kiln-bump-stale-');
    const file = writePackage(dir, server.url, '1.0.0', old);
    // Put the original 1.1.0 source in the store as the package's `source` output.
    const warm = join(dir, 'warm.nix');
    writeFileSync(
      warm,
      `(import ./lib.nix).fetchzip { url = "${server.url}/hello-1.1.0.tar.gz"; hash = "${firstCut}"; }\n`,
    );
    await exec('nix-build', [...NIX_BUILD, '--no-out-link', warm]); // request 2

    const run = await runCli(['bump', file, '--version', '1.1.0', '--json'], {}, TIMEOUT);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as BumpJson;
    const replacement = await nixPrefetchUnpack(`${server.url}/hello-1.1.0.tar.gz`);
    assert.notEqual(replacement, firstCut);
    assert.deepEqual(result.staleHashes, ['src.hash']);
    assert.equal(hashOf(readFileSync(file, 'utf8'), 'hash'), replacement);
    assert.ok(
      result.mismatches.some((m) => m.specified === firstCut && m.got === replacement),
      JSON.stringify(result.mismatches),
    );
    assert.match(run.stderr, /stale-hash guard: src\.hash was stale/);
  });

  it('bad input: a 404, a corrupt tarball, no version attribute, a failing smoke test; each a clear error and an untouched file', async (t) => {
    const server = await startReleaseServer(t, [V1, { version: '2.0.0', deps: [], corrupt: true }]);
    const old = await releaseHashes(t, server, V1);
    const dir = tempDir(t, 'kiln-bump-bad-');
    const file = writePackage(dir, server.url, '1.0.0', old);
    const before = readFileSync(file, 'utf8');

    const missing = await runCli(['bump', file, '--version', '9.9.9'], {}, TIMEOUT);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /error: .*hello-9\.9\.9\.tar\.gz.*404.*\(KILN_ERR_FETCH\)/);
    assert.equal(readFileSync(file, 'utf8'), before);

    const corrupt = await runCli(['bump', file, '--version', '2.0.0'], {}, TIMEOUT);
    assert.equal(corrupt.code, 1, corrupt.stderr);
    assert.match(corrupt.stderr, /\(KILN_ERR_ARCHIVE\)/);
    assert.equal(readFileSync(file, 'utf8'), before);

    const smoke = await runCli(
      ['bump', file, '--version', '1.0.0', '--verify', 'result/bin/hello --no-such && false'],
      {},
      TIMEOUT,
    );
    assert.equal(smoke.code, 0, 'arguments are not a shell: `&&` is just an argument');
    const failing = await runCli(['bump', file, '--version', '1.0.0', '--verify', 'false'], {}, TIMEOUT);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /the verify command 'false' exited with 1 \(KILN_ERR_BUMP\)/);
    assert.equal(readFileSync(file, 'utf8'), before);

    const noVersion = join(dir, 'noversion.nix');
    const text = LIB_NIX.replace('rec {', 'rec {\n  # no version here');
    writeFileSync(noVersion, text);
    const none = await runCli(['bump', noVersion, '--version', '1.1.0'], {}, TIMEOUT);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has no version attribute.*\(KILN_ERR_BUMP\)/);
    assert.equal(readFileSync(noVersion, 'utf8'), text);

    const broken = join(dir, 'broken.nix');
    writeFileSync(broken, '{ version = "1.0.0"; src = ;\n');
    const syntax = await runCli(['bump', broken, '--version', '1.1.0'], {}, TIMEOUT);
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /1:\d+.*\(KILN_ERR_NIX_SYNTAX\)/);
    assert.equal(readFileSync(broken, 'utf8'), '{ version = "1.0.0"; src = ;\n');
  });
});
