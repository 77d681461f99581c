import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  countValidSignatures,
  fingerprint,
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  parseNarInfo,
  parsePublicKey,
  parseSecretKey,
  sign,
  signNarInfo,
  verify,
} from '../../../src/cache/index.js';
import { baseName, sha256Nix32 } from './arbitraries.js';

// A throwaway key made with `nix key generate-secret --key-name test-1` for these vectors only.
const SECRET =
  'test-1:9BMUkj+BVSl74IIfV1YkvCNrUDyGpIn9PEMnaKgrc9KFLnb39CKDfLhte4kliRyzgEvQk1kH45TpViTt34XAQw==';
const PUBLIC = 'test-1:hS529/Qig3y4bXuJJYkcs4BL0JNZB+OU6VYk7d+FwEM=';
// `nix store sign` made this Sig for the narinfo below (Nix 2.8).
const NIX_SIG =
  'test-1:v1wu0ANpIlJk0MX7ns/5RzlDsjLlpTPW4bYHUPPtEnufSrhCVpGkrT0mI8T/Tbzih08eX814nSdzFZfvqORxAw==';
const INFO = parseNarInfo(`StorePath: /nix/store/40p7svgfqqhhxkn99i0yal5d1fs1si5s-y
URL: nar/0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs.nar.xz
Compression: xz
NarHash: sha256:0g7d0qz7f1kb074gk5v77vvsg6g3jsrpi4ihn0shp979nyls3b28
NarSize: 160
References: xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x
Sig: ${NIX_SIG}
`);

const isValidation = (error: unknown): boolean =>
  error instanceof Error && (error as { code?: unknown }).code === 'KILN_ERR_VALIDATION';

describe('signing keys', () => {
  it('reads and writes the formats of nix key generate-secret / convert-secret-to-public', () => {
    const secret = parseSecretKey(`${SECRET}\n`);
    assert.equal(secret.name, 'test-1');
    assert.equal(formatSecretKey(secret), SECRET);
    assert.equal(formatPublicKey(secret.publicKey), PUBLIC);
    assert.deepEqual(parsePublicKey(PUBLIC), secret.publicKey);
  });

  it('generates keys that survive a format/parse round trip', () => {
    const key = generateSecretKey('cache.example.org-1');
    const again = parseSecretKey(formatSecretKey(key));
    assert.equal(formatPublicKey(again.publicKey), formatPublicKey(key.publicKey));
    assert.match(formatSecretKey(key), /^cache\.example\.org-1:[A-Za-z0-9+/]{86}==$/);
  });

  it('never shows key material in errors or when inspected', () => {
    const body = SECRET.slice('test-1:'.length);
    const flipped = body[60] === 'A' ? 'B' : 'A';
    const damaged = `test-1:${body.slice(0, 60)}${flipped}${body.slice(61)}`; // public half damaged
    for (const text of [damaged, `test-1:${body}x`, body, `:${body}`]) {
      assert.throws(
        () => parseSecretKey(text),
        (error: unknown) => isValidation(error) && !inspect(error).includes(body.slice(0, 16)),
      );
    }
    assert.ok(!inspect(parseSecretKey(SECRET), { depth: 5 }).includes(body.slice(0, 16)));
  });

  it('rejects public keys of the wrong size and bad names', () => {
    assert.throws(() => parsePublicKey('test-1:AAAA'), isValidation);
    assert.throws(() => parsePublicKey('hS529/Qig3y4bXuJJYkcs4BL0JNZB+OU6VYk7d+FwEM='), isValidation);
    assert.throws(() => generateSecretKey('a:b'), isValidation);
    assert.throws(() => generateSecretKey(''), isValidation);
  });
});

describe('fingerprints and signatures', () => {
  it('builds the fingerprint Nix signs', () => {
    assert.equal(
      fingerprint(INFO),
      '1;/nix/store/40p7svgfqqhhxkn99i0yal5d1fs1si5s-y;sha256:0g7d0qz7f1kb074gk5v77vvsg6g3jsrpi4ihn0shp979nyls3b28;160;/nix/store/xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x',
    );
    const refs = ['zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-b', '00000000000000000000000000000000-a'];
    assert.match(
      fingerprint({ ...INFO, references: refs }),
      /;160;\/nix\/store\/0{32}-a,\/nix\/store\/z{32}-b$/,
    );
    assert.match(fingerprint({ ...INFO, references: [] }), /;160;$/);
  });

  it('needs NarHash as sha256:<nix32> and a positive size', () => {
    const sri = 'sha256-QaOPBtG1P0zJ180FpC4vKMYBjiUrznwXdSqlj6M6bGg=';
    assert.throws(() => fingerprint({ ...INFO, narHash: sri }), isValidation);
    assert.throws(() => fingerprint({ ...INFO, narSize: 0 }), isValidation);
  });

  it('makes the same signature as nix store sign and verifies it', () => {
    const secret = parseSecretKey(SECRET);
    assert.equal(sign(fingerprint(INFO), secret), NIX_SIG);
    assert.ok(verify(fingerprint(INFO), NIX_SIG, [parsePublicKey(PUBLIC)]));
    assert.equal(countValidSignatures(INFO, [secret.publicKey]), 1);
    assert.deepEqual(signNarInfo({ ...INFO, sigs: [] }, secret).sigs, [NIX_SIG]);
  });

  it('rejects tampering, unknown key names and malformed signatures', () => {
    const keys = [parsePublicKey(PUBLIC)];
    const text = fingerprint(INFO);
    assert.ok(!verify(text.replace(';160;', ';161;'), NIX_SIG, keys));
    assert.ok(!verify(text, NIX_SIG.replace('test-1:', 'test-2:'), keys));
    assert.ok(!verify(text, NIX_SIG.replace('v1wu', 'v1wv'), keys));
    assert.ok(!verify(text, 'test-1:AAAA', keys));
    assert.ok(!verify(text, 'no-colon', keys));
    assert.ok(!verify(text, NIX_SIG, []));
  });

  it('verifies its own signatures for any path info', () => {
    const key = generateSecretKey('prop-1');
    const other = generateSecretKey('prop-1');
    fc.assert(
      fc.property(
        baseName,
        sha256Nix32,
        fc.integer({ min: 1 }),
        fc.array(baseName, { maxLength: 4 }),
        (base, narHash, narSize, references) => {
          const text = fingerprint({ storePath: `/nix/store/${base}`, narHash, narSize, references });
          const sig = sign(text, key);
          assert.ok(verify(text, sig, [other.publicKey, key.publicKey]));
          assert.ok(!verify(text, sig, [other.publicKey]));
        },
      ),
      { numRuns: 50 },
    );
  });
});
