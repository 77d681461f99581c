import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  countValidSignatures,
  fingerprint,
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  parseNarInfo,
  parseNixCacheInfo,
  parsePublicKey,
  parseSecretKey,
  renderNarInfo,
  sign,
  signNarInfo,
  verify,
} from '../../../src/cache/index.js';
import { nonce } from '../../helpers/nix.js';
import { tempDir } from '../../helpers/tmp.js';

const NIX = ['--extra-experimental-features', 'nix-command'];

function run(command: string, args: readonly string[], input?: string): string {
  return execFileSync(command, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

const nix = (args: readonly string[], input?: string): string => run('nix', [...NIX, ...args], input);

interface Cache {
  dir: string;
  keyFile: string;
  publicKey: string;
  /** The built path, which references `dependency`. */
  top: string;
  dependency: string;
  /** Narinfo texts by store path, exactly as Nix wrote them. */
  narinfos: Map<string, string>;
}

/** Builds two fresh paths (one referencing the other), signs them and copies them to a file:// cache. */
function makeCache(t: TestContext): Cache {
  const dir = tempDir(t, 'kiln-cache-');
  const keyFile = join(dir, 'secret.key');
  writeFileSync(keyFile, nix(['key', 'generate-secret', '--key-name', 'test-1']), { mode: 0o600 });
  const publicKey = nix(['key', 'convert-secret-to-public'], readFileSync(keyFile, 'utf8'));
  const exprFile = join(dir, 'default.nix');
  writeFileSync(
    exprFile,
    `let x = derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; nonce = "${nonce()}"; args = ["-c" "echo hi > $out"]; };
in derivation { name = "y"; system = "x86_64-linux"; builder = "/bin/sh"; nonce = "${nonce()}"; inherit x; args = ["-c" "echo $x > $out"]; }`,
  );
  const top = run('nix-build', ['--no-out-link', exprFile]);
  nix(['store', 'sign', '--key-file', keyFile, '--recursive', top]);
  const cacheDir = join(dir, 'cache');
  nix(['copy', '--to', `file://${cacheDir}`, top]);
  const narinfos = new Map<string, string>();
  for (const name of readdirSync(cacheDir).filter((file) => file.endsWith('.narinfo'))) {
    const text = readFileSync(join(cacheDir, name), 'utf8');
    narinfos.set(parseNarInfo(text).storePath, text);
  }
  const dependency = [...narinfos.keys()].find((path) => path !== top) ?? '';
  return { dir: cacheDir, keyFile, publicKey, top, dependency, narinfos };
}

describe('binary-cache formats against the real nix', () => {
  it('parses and reproduces the narinfo files nix copy writes, byte for byte', (t) => {
    const cache = makeCache(t);
    assert.equal(cache.narinfos.size, 2);
    for (const text of cache.narinfos.values()) assert.equal(renderNarInfo(parseNarInfo(text)), text);
    const top = parseNarInfo(cache.narinfos.get(cache.top) ?? '');
    const dependency = parseNarInfo(cache.narinfos.get(cache.dependency) ?? '');
    assert.deepEqual(top.references, [cache.dependency.slice('/nix/store/'.length)]);
    assert.deepEqual(dependency.references, []);
    assert.equal(top.compression, 'xz');
    assert.match(top.url, /^nar\/[0-9a-z]{52}\.nar\.xz$/);
    assert.equal(
      parseNixCacheInfo(readFileSync(join(cache.dir, 'nix-cache-info'), 'utf8')).storeDir,
      '/nix/store',
    );
  });

  it("verifies nix's signatures and signs identically with the same secret key", (t) => {
    const cache = makeCache(t);
    const nixPublic = parsePublicKey(cache.publicKey);
    const secret = parseSecretKey(readFileSync(cache.keyFile, 'utf8'));
    assert.equal(formatPublicKey(secret.publicKey), cache.publicKey);
    for (const text of cache.narinfos.values()) {
      const info = parseNarInfo(text);
      assert.equal(info.sigs.length, 1);
      const [nixSig = ''] = info.sigs;
      assert.ok(verify(fingerprint(info), nixSig, [nixPublic]));
      assert.equal(countValidSignatures(info, [nixPublic]), 1);
      assert.equal(sign(fingerprint(info), secret), nixSig);
    }
  });

  it('matches nix path-info on hashes, sizes, references and signatures', (t) => {
    const cache = makeCache(t);
    const json = nix(['path-info', '--json', '--store', `file://${cache.dir}`, '--recursive', cache.top]);
    const infos = JSON.parse(json) as {
      path: string;
      narSize: number;
      references: string[];
      signatures: string[];
    }[];
    assert.equal(infos.length, 2);
    for (const expected of infos) {
      const info = parseNarInfo(cache.narinfos.get(expected.path) ?? '');
      assert.equal(info.narSize, expected.narSize);
      assert.deepEqual(
        info.references.map((ref) => `/nix/store/${ref}`),
        [...expected.references].sort(),
      );
      assert.deepEqual(info.sigs, expected.signatures);
    }
  });

  it('nix trusts a narinfo we re-render and sign with a key we generated', (t) => {
    const cache = makeCache(t);
    const ours = generateSecretKey('kiln-test-1');
    for (const [path, text] of cache.narinfos) {
      const resigned = signNarInfo({ ...parseNarInfo(text), sigs: [] }, ours);
      writeFileSync(
        join(cache.dir, `${path.slice('/nix/store/'.length, '/nix/store/'.length + 32)}.narinfo`),
        renderNarInfo(resigned),
      );
    }
    const verifyWith = (trusted: string): void => {
      nix([
        'store',
        'verify',
        '--store',
        `file://${cache.dir}`,
        '--trusted-public-keys',
        trusted,
        '--sigs-needed',
        '1',
        '--recursive',
        cache.top,
      ]);
    };
    verifyWith(formatPublicKey(ours.publicKey)); // also re-hashes the NARs via our URL/NarHash fields
    assert.throws(() => verifyWith(cache.publicKey), /untrusted/);
  });

  it('nix derives the same public key from a secret key we generated', (t) => {
    const dir = tempDir(t);
    const ours = generateSecretKey('kiln-test-1');
    const keyFile = join(dir, 'secret.key');
    writeFileSync(keyFile, formatSecretKey(ours), { mode: 0o600 });
    assert.equal(
      nix(['key', 'convert-secret-to-public'], readFileSync(keyFile, 'utf8')),
      formatPublicKey(ours.publicKey),
    );
  });
});
