import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseNarInfo, renderNarInfo, type NarInfo } from '../../../src/cache/index.js';
import { narInfo } from './arbitraries.js';

// Written by `nix copy --to file://…` (Nix 2.8) for a path that references another one.
const NIX_WRITTEN = `StorePath: /nix/store/40p7svgfqqhhxkn99i0yal5d1fs1si5s-y
URL: nar/0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs.nar.xz
Compression: xz
FileHash: sha256:0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs
FileSize: 168
NarHash: sha256:0g7d0qz7f1kb074gk5v77vvsg6g3jsrpi4ihn0shp979nyls3b28
NarSize: 160
References: xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x
Deriver: hszkgn7b051xvxqvammm3xps8jy4izlk-y.drv
Sig: test-1:v1wu0ANpIlJk0MX7ns/5RzlDsjLlpTPW4bYHUPPtEnufSrhCVpGkrT0mI8T/Tbzih08eX814nSdzFZfvqORxAw==
`;

const MINIMAL = `StorePath: /nix/store/xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x
URL: nar/x.nar
NarHash: sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h
NarSize: 120
`;

const validationError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof Error);
  assert.equal((error as { code?: unknown }).code, 'KILN_ERR_VALIDATION');
  assert.match(error.message, pattern);
  return true;
};

describe('narinfo known vectors', () => {
  it('parses a narinfo written by Nix', () => {
    const info = parseNarInfo(NIX_WRITTEN);
    assert.deepEqual(info, {
      storePath: '/nix/store/40p7svgfqqhhxkn99i0yal5d1fs1si5s-y',
      url: 'nar/0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs.nar.xz',
      compression: 'xz',
      fileHash: 'sha256:0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs',
      fileSize: 168,
      narHash: 'sha256:0g7d0qz7f1kb074gk5v77vvsg6g3jsrpi4ihn0shp979nyls3b28',
      narSize: 160,
      references: ['xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x'],
      deriver: 'hszkgn7b051xvxqvammm3xps8jy4izlk-y.drv',
      system: undefined,
      sigs: [
        'test-1:v1wu0ANpIlJk0MX7ns/5RzlDsjLlpTPW4bYHUPPtEnufSrhCVpGkrT0mI8T/Tbzih08eX814nSdzFZfvqORxAw==',
      ],
      ca: undefined,
    } satisfies NarInfo);
  });

  it('renders it back byte for byte', () => {
    assert.equal(renderNarInfo(parseNarInfo(NIX_WRITTEN)), NIX_WRITTEN);
  });

  it('writes "References: " with a trailing space when there are none, like Nix', () => {
    const text = renderNarInfo(parseNarInfo(MINIMAL));
    assert.match(text, /\nReferences: \n/);
    assert.match(text, /\nCompression: bzip2\n/); // Nix's default for a missing Compression
  });

  it('sorts references and signatures as Nix std::sets do', () => {
    const info = parseNarInfo(MINIMAL);
    const refs = ['zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-b', '00000000000000000000000000000000-a'];
    const text = renderNarInfo({ ...info, references: refs, sigs: ['b:AAAA', 'a:AAAA', 'b:AAAA'] });
    assert.match(text, /References: 0{32}-a z{32}-b\nSig: a:AAAA\nSig: b:AAAA\n$/);
  });

  it('reads unknown-deriver as no deriver and accepts other hash encodings', () => {
    const text = MINIMAL.replace(
      /NarHash: .*/,
      'NarHash: sha256-QaOPBtG1P0zJ180FpC4vKMYBjiUrznwXdSqlj6M6bGg=\nDeriver: unknown-deriver',
    );
    const info = parseNarInfo(text);
    assert.equal(info.deriver, undefined);
    assert.equal(info.narHash, 'sha256-QaOPBtG1P0zJ180FpC4vKMYBjiUrznwXdSqlj6M6bGg=');
  });
});

describe('narinfo round trips', () => {
  it('render → parse → render is the identity', () => {
    fc.assert(
      fc.property(narInfo, (info) => {
        const text = renderNarInfo(info);
        assert.deepEqual(parseNarInfo(text), info);
        assert.equal(renderNarInfo(parseNarInfo(text)), text);
      }),
    );
  });

  it('parses regardless of field order and skips unknown fields', () => {
    const unknown = fc.constantFrom('X-Kiln: 1', 'Foo: bar baz', 'Empty: ');
    fc.assert(
      fc.property(narInfo, fc.array(unknown, { maxLength: 3 }), fc.nat(), (info, extra, seed) => {
        const lines = [...renderNarInfo(info).trimEnd().split('\n'), ...extra];
        const shuffled = lines
          .map((line, i) => ({ line, key: (i * 7919 + seed) % 104729 }))
          .sort((a, b) => a.key - b.key)
          .map(({ line }) => line);
        assert.deepEqual(parseNarInfo(`${shuffled.join('\n')}\n`), info);
      }),
    );
  });
});

describe('narinfo leniency beyond Nix', () => {
  it('accepts a missing final newline and "Key:" without the space', () => {
    const text = `${MINIMAL}References:\nSystem: x86_64-linux`;
    const info = parseNarInfo(text);
    assert.deepEqual(info.references, []);
    assert.equal(info.system, 'x86_64-linux');
  });

  it('rejects CRLF line endings instead of keeping a stray \\r in values', () => {
    assert.throws(() => parseNarInfo(MINIMAL.replaceAll('\n', '\r\n')), validationError(/control/));
  });
});

describe('narinfo validation', () => {
  for (const field of ['StorePath', 'URL', 'NarHash', 'NarSize']) {
    it(`requires ${field}`, () => {
      const text = MINIMAL.replace(new RegExp(`^${field}: .*\\n`, 'm'), '');
      assert.throws(() => parseNarInfo(text), validationError(new RegExp(field)));
    });
  }

  it('rejects a zero NarSize, a bad store path and a bad hash', () => {
    assert.throws(() => parseNarInfo(MINIMAL.replace('NarSize: 120', 'NarSize: 0')), validationError(/zero/));
    assert.throws(
      () => parseNarInfo(MINIMAL.replace('NarSize: 120', 'NarSize: 1e3')),
      validationError(/zero/),
    );
    assert.throws(
      () => parseNarInfo(MINIMAL.replace('/nix/store/xyy', '/nix/store/eyy')),
      validationError(/StorePath/),
    );
    assert.throws(() => parseNarInfo(MINIMAL.replace('sha256:1x', 'sha256:1')), validationError(/NarHash/));
  });

  it('rejects repeated References or CA, lines without a colon and full paths as references', () => {
    const ref = 'References: xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x\n';
    assert.throws(() => parseNarInfo(MINIMAL + ref + ref), validationError(/more than one References/));
    assert.throws(() => parseNarInfo(`${MINIMAL}CA: a\nCA: b\n`), validationError(/more than one CA/));
    assert.throws(() => parseNarInfo(`${MINIMAL}garbage\n`), validationError(/no ':'/));
    assert.throws(
      () => parseNarInfo(`${MINIMAL}References: /nix/store/xyywx8wv6aa65wxz51rhhzr3yxaqrngq-x\n`),
      validationError(/reference/),
    );
  });

  it('refuses to render what Nix could not read back', () => {
    const info = parseNarInfo(MINIMAL);
    assert.throws(() => renderNarInfo({ ...info, url: 'a\nb' }), validationError(/URL/));
    assert.throws(() => renderNarInfo({ ...info, narSize: 0 }), validationError(/NarSize/));
    assert.throws(() => renderNarInfo({ ...info, sigs: ['nocolon'] }), validationError(/Sig/));
  });
});
