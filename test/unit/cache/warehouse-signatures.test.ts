import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fingerprint, generateSecretKey, verify } from '../../../src/cache/index.js';
import {
  parseUploadedNarInfo,
  pathRecordFor,
  servedSignatures,
  signPath,
  uploaderSignatures,
} from '../../../src/cache/warehouse/narinfo-record.js';
import type { CacheObjectRecord } from '../../../src/persistence/index.js';

const HASH = '0123456789abcdfghijklmnpqrsvwxyz'.slice(0, 32);
const path: CacheObjectRecord = {
  cacheName: 'main',
  storePathHash: HASH,
  storePath: `/nix/store/${HASH}-hello`,
  narHash: `sha256:${'1'.repeat(52)}`,
  narSize: 120,
  references: [`${HASH}-hello`],
  deriver: null,
  ca: null,
  signatures: [],
  createdAt: 1,
  lastAccessedAt: 1,
};

describe('narinfo signatures', () => {
  const old = generateSecretKey('main-1');
  const current = generateSecretKey('main-2');
  const signer = { keys: [current], ourNames: new Set(['main-1', 'main-2']) };
  const print = fingerprint(path);

  it('drops uploader signatures made under our key names', () => {
    assert.deepEqual(uploaderSignatures(['main-1:AAAA', 'cache.nixos.org-1:BBBB'], signer), [
      'cache.nixos.org-1:BBBB',
    ]);
  });

  it('serves stored signatures of signing keys, drops retired ones, and adds missing ones', () => {
    const [oldSig] = signPath(path, [old]);
    const stored = { ...path, signatures: ['other-1:CCCC', oldSig!] };
    const served = servedSignatures(stored, signer);
    assert.equal(served.added, true);
    assert.equal(served.sigs.length, 2);
    assert.equal(served.sigs[0], 'other-1:CCCC');
    assert.ok(verify(print, served.sigs[1]!, [current.publicKey]), 'the new key signed the fingerprint');

    const again = servedSignatures({ ...path, signatures: served.sigs }, signer);
    assert.deepEqual(again, { sigs: served.sigs, added: false }, 'stored signatures are served as stored');
  });

  it('keeps a stored signature as stored, so a changed record no longer verifies', () => {
    const signed = { ...path, signatures: signPath(path, [current]) };
    const tampered = { ...signed, narSize: 121 };
    const { sigs } = servedSignatures(tampered, signer);
    assert.equal(verify(fingerprint(tampered), sigs[0]!, [current.publicKey]), false);
  });
});

describe('uploaded narinfos', () => {
  const text = (storePath: string, url = `nar/${'2'.repeat(52)}.nar.xz`) =>
    `StorePath: ${storePath}\nURL: ${url}\nCompression: xz\nNarHash: sha256:${'1'.repeat(52)}\nNarSize: 120\nReferences: \n`;

  it('must describe the path they are uploaded as, in /nix/store, pointing into nar/', () => {
    assert.equal(parseUploadedNarInfo(text(path.storePath), HASH).narKey, `nar/${'2'.repeat(52)}.nar.xz`);
    assert.throws(() => parseUploadedNarInfo(text(path.storePath), 'z'.repeat(32)), /not a path with hash/);
    assert.throws(() => parseUploadedNarInfo(text(`/other/store/${HASH}-x`), HASH), /not a path with hash/);
    assert.throws(
      () => parseUploadedNarInfo(text(path.storePath, 'https://elsewhere/x.nar'), HASH),
      /must point/,
    );
    assert.throws(() => parseUploadedNarInfo(text(path.storePath, 'nar/x.nar?a=b'), HASH), /must point/);
  });

  it('must agree with the NAR they point to, whatever hash encoding they use', () => {
    const uploaded = parseUploadedNarInfo(text(path.storePath), HASH);
    const record = pathRecordFor('main', HASH, uploaded, { narHash: path.narHash, narSize: 120 }, 5);
    assert.equal(record.narHash, path.narHash);
    assert.throws(
      () => pathRecordFor('main', HASH, uploaded, { narHash: path.narHash, narSize: 121 }, 5),
      /uploaded NAR has/,
    );
  });
});
