import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import {
  applyEdits,
  findAttributes,
  findFetchers,
  findHashAttributes,
  findVersion,
  parseNix,
  renderNixString,
  type Span,
} from '../../../../src/packaging/index.js';
import { corpusFiles, readCorpus } from './corpus.js';
import { seededRandom } from './generator.js';

const slice = (text: string, span: Span): string => text.slice(span.start, span.end);

function attributes(
  text: string,
): { path: string; scope: string; key: string; value: string; fetcher?: string }[] {
  return findAttributes(parseNix(text)).map((s) => ({
    path: s.path.join('.'),
    scope: s.scope,
    key: slice(text, s.keySpan),
    value: slice(text, s.valueSpan),
    ...(s.fetcher !== undefined ? { fetcher: s.fetcher } : {}),
  }));
}

describe('findAttributes', () => {
  it('accumulates dotted and nested paths', () => {
    assert.deepEqual(attributes('{ a.b = { c = x; }; }'), [
      { path: 'a.b', scope: 'attrs', key: 'a.b', value: '{ c = x; }' },
      { path: 'a.b.c', scope: 'attrs', key: 'c', value: 'x' },
    ]);
  });

  it('descends into the set argument of function applications, naming the function', () => {
    const text = `{ fetchurl, stdenv }: stdenv.mkDerivation rec {
      src = fetchurl { url = "u"; hash = "h"; };
      one = fetchurl rec { hash = "r"; };
      two = (fetchurl { hash = "p"; });
      three = lib.fetchzip { hash = "z"; };
    }`;
    const byPath = Object.fromEntries(attributes(text).map((a) => [a.path, a]));
    assert.equal(byPath['src']?.fetcher, 'stdenv.mkDerivation');
    assert.equal(byPath['src.url']?.fetcher, 'fetchurl');
    assert.equal(byPath['src.hash']?.value, '"h"');
    assert.equal(byPath['one.hash']?.fetcher, 'fetchurl');
    assert.equal(byPath['two.hash']?.fetcher, 'fetchurl');
    assert.equal(byPath['three.hash']?.fetcher, 'lib.fetchzip');
  });

  it('follows finalAttrs-style functions, let, with, if branches and list elements', () => {
    const text = `{ lib }:
      let hashes = { x86_64-linux = "a"; }; in
      with lib;
      mkDerivation (finalAttrs: {
        c = if true then { t = 1; } else { e = 2; };
        l = [ { i = 0; } "s" { j = 1; } ];
      })`;
    assert.deepEqual(
      attributes(text).map((a) => [a.path, a.scope, a.fetcher]),
      [
        ['hashes', 'let', undefined],
        ['hashes.x86_64-linux', 'let', undefined],
        ['c', 'attrs', 'mkDerivation'],
        ['c.t', 'attrs', undefined],
        ['c.e', 'attrs', undefined],
        ['l', 'attrs', 'mkDerivation'],
        ['l.0.i', 'attrs', undefined],
        ['l.2.j', 'attrs', undefined],
      ],
    );
  });

  it('reports quoted names by value and leaves out dynamic ones', () => {
    const text = '{ "x86_64-linux" = 1; ${"dyn"} = 2; "a${b}" = 3; inherit c; }';
    assert.deepEqual(
      attributes(text).map((a) => a.path),
      ['x86_64-linux'],
    );
  });

  it('describes string literals: span with quotes, content span, kind, value', () => {
    const text = `{ a = "x\\ty"; b = ''\n  z\n''; c = "v\${d}"; }`;
    const sites = findAttributes(parseNix(text));
    const [a, b, c] = sites.map((s) => s.literal);
    assert.equal(slice(text, a!.span), '"x\\ty"');
    assert.equal(slice(text, a!.contentSpan), 'x\\ty');
    assert.deepEqual([a!.kind, a!.value], ['double', 'x\ty']);
    assert.deepEqual([b!.kind, b!.value], ['indented', 'z\n']);
    // the opener takes the newline right after `''` (Nix drops it), so the content starts after it
    assert.equal(slice(text, b!.contentSpan), '  z\n');
    assert.deepEqual([c!.kind, c!.value], ['double', undefined]);
  });

  it('keeps exact spans through comments between path components and =', () => {
    const text = readCorpus('comments-everywhere.nix');
    const site = findAttributes(parseNix(text)).find((s) => s.path.join('.') === 'meta.homepage');
    assert.ok(site);
    assert.equal(slice(text, site.keySpan), 'meta . /* dotted */ homepage');
    assert.equal(slice(text, site.valueSpan), '"https://example.org"');
    const version = findAttributes(parseNix(text)).find((s) => s.path.join('.') === 'version');
    assert.equal(version?.scope, 'let');
    assert.equal(slice(text, version.keySpan), 'version');
  });
});

describe('findVersion', () => {
  it('finds the version of a nixpkgs-style package', () => {
    const text = readCorpus('fetchurl-hello.nix');
    const site = findVersion(parseNix(text));
    assert.equal(site?.version, '2.12.1');
    assert.deepEqual(site?.path, ['version']);
    assert.equal(slice(text, site.valueSpan), '"2.12.1"');
  });

  it('takes a let-bound version when the derivation inherits it', () => {
    const site = findVersion(parseNix(readCorpus('srcs-per-system.nix')));
    assert.deepEqual([site?.version, site?.scope], ['2.0.1', 'let']);
  });

  it('prefers the shallowest binding and skips interpolated ones', () => {
    const text = '{ passthru.version = "2"; version = "1"; meta.version = "${x}"; }';
    const site = findVersion(parseNix(text.replace('${x}', 'x')));
    assert.equal(site?.version, '1');
    assert.equal(findVersion(parseNix('x: { version = "${x}"; }')), undefined);
  });

  it('edits equal versions at the same depth together, and refuses different ones', () => {
    const same = findVersion(parseNix('let version = "3"; in { version = "3"; }'));
    assert.equal(same?.version, '3');
    assert.equal(same?.duplicates.length, 1);
    assert.throws(
      () => findVersion(parseNix('let version = "3"; in { version = "4"; }')),
      (error: unknown) =>
        isKilnError(error) &&
        error.code === 'KILN_ERR_BUMP' &&
        /version = "3"/.test(error.message) &&
        /"4"/.test(error.message),
    );
  });

  it('is undefined without a version', () => {
    assert.equal(findVersion(parseNix(readCorpus('uris-and-paths.nix'))), undefined);
  });
});

function hashes(name: string): {
  path: string;
  name: string;
  system?: string;
  fetcher?: string;
  owner: string;
  value?: string;
  fake?: string;
}[] {
  return findHashAttributes(parseNix(readCorpus(name))).map((h) => ({
    path: h.path.join('.'),
    name: h.name,
    ...(h.system !== undefined ? { system: h.system } : {}),
    ...(h.fetcher !== undefined ? { fetcher: h.fetcher } : {}),
    owner: h.owner.join('.'),
    ...(h.value !== undefined ? { value: h.value } : {}),
    ...(h.fake !== undefined ? { fake: h.fake } : {}),
  }));
}

describe('findHashAttributes', () => {
  it('finds per-system hash sets in a let', () => {
    assert.deepEqual(
      hashes('prebuilt-per-system.nix').map((h) => [h.path, h.name, h.system, h.owner]),
      [
        ['hashes.x86_64-linux', 'hashes', 'x86_64-linux', ''],
        ['hashes.aarch64-linux', 'hashes', 'aarch64-linux', ''],
        ['hashes.x86_64-darwin', 'hashes', 'x86_64-darwin', ''],
        ['hashes.aarch64-darwin', 'hashes', 'aarch64-darwin', ''],
      ],
    );
    assert.deepEqual(
      hashes('sha256s-set.nix').map((h) => [h.path, h.name, h.system]),
      [
        ['sha256s.x86_64-linux', 'sha256s', 'x86_64-linux'],
        ['sha256s.i686-linux', 'sha256s', 'i686-linux'],
        ['debHashes.x86_64-linux', 'debHashes', 'x86_64-linux'],
      ],
    );
  });

  it('finds fetcher hashes under per-system sources', () => {
    assert.deepEqual(hashes('srcs-per-system.nix')[1], {
      path: 'srcs.aarch64-linux.hash',
      name: 'hash',
      system: 'aarch64-linux',
      fetcher: 'fetchurl',
      owner: 'srcs.aarch64-linux',
      value: 'sha256-yX1fF2vQ8H3t5k0pR9wU7mZ4bN6cD2eA1sL8jK3gH5o=',
    });
  });

  it('finds vendorHash, cargoHash, npmDepsHash, empty and fake hashes', () => {
    assert.deepEqual(
      hashes('go-vendor-hash.nix').map((h) => [h.path, h.fetcher]),
      [
        ['src.hash', 'fetchFromGitHub'],
        ['vendorHash', 'buildGoModule'],
      ],
    );
    assert.deepEqual(
      hashes('rust-cargo-hash.nix').map((h) => [h.path, h.fetcher]),
      [
        ['src.hash', 'fetchCrate'],
        ['cargoHash', 'rustPlatform.buildRustPackage'],
      ],
    );
    assert.deepEqual(hashes('npm-deps-hash.nix'), [
      { path: 'src.hash', name: 'hash', fetcher: 'fetchFromGitHub', owner: 'src', value: '' },
      {
        path: 'npmDepsHash',
        name: 'npmDepsHash',
        fetcher: 'buildNpmPackage',
        owner: '',
        fake: 'lib.fakeHash',
      },
    ]);
  });

  it('finds sha256, md5, sha512 and outputHash; skips null, interpolated and non-literal values', () => {
    assert.deepEqual(
      hashes('builtins-fetchers.nix').map((h) => [h.path, h.name, h.fetcher]),
      [
        ['nixpkgs.sha256', 'sha256', 'builtins.fetchTarball'],
        ['data.sha256', 'sha256', 'builtins.fetchurl'],
        ['fixed.outputHash', 'outputHash', 'derivation'],
        ['legacy.md5', 'md5', 'pkgs.fetchurl'],
        ['big.sha512', 'sha512', 'pkgs.fetchzip'],
      ],
    );
    assert.deepEqual(
      hashes('nested-and-dynamic.nix').map((h) => [h.path, h.value ?? h.fake]),
      [
        ['cond.sha256', '0000000000000000000000000000000000000000000000000000'],
        ['cond.hash', 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
        ['call.hash', 'sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB='],
        ['applied.hash', 'lib.fakeSha256'],
      ],
    );
    const inline = findHashAttributes(
      parseNix('x: { hash = "${x}"; sha256 = x; outputHashAlgo = "sha256"; }'),
    );
    assert.deepEqual(inline, []);
  });
});

describe('findFetchers', () => {
  it('lists fetcher calls with the binding that holds them and their string attributes', () => {
    const calls = findFetchers(parseNix(readCorpus('gitlab-gitea-git.nix')));
    assert.deepEqual(
      calls.map((c) => [c.name, c.path.join('.')]),
      [
        ['fetchFromGitLab', 'src'],
        ['fetchFromGitea', 'extra'],
        ['fetchgit', 'vendored'],
        ['fetchpatch', 'patches.0'],
      ],
    );
    assert.deepEqual(calls[1]?.strings, {
      domain: 'codeberg.org',
      owner: 'someone',
      repo: 'extra',
      rev: '0123456789abcdef0123456789abcdef01234567',
      hash: 'sha256-4Mf1kS6lD2cW5oP8tR0yQ3xA7bN9vE1gH2jK5uZ8iT0=',
    });
    assert.deepEqual(
      calls[2]?.attributes.map((a) => a.path.join('.')),
      ['vendored.url', 'vendored.rev', 'vendored.fetchSubmodules', 'vendored.hash'],
    );
  });

  it('knows builtins., pkgs. and lib. prefixes and not derivation builders', () => {
    const text = readCorpus('builtins-fetchers.nix');
    const calls = findFetchers(parseNix(text));
    assert.deepEqual(
      calls.map((c) => c.name),
      ['builtins.fetchTarball', 'builtins.fetchurl', 'pkgs.fetchurl', 'pkgs.fetchzip'],
    );
    assert.ok(slice(text, calls[0]!.span).startsWith('builtins.fetchTarball {'));
    assert.deepEqual(
      findFetchers(parseNix(readCorpus('go-vendor-hash.nix'))).map((c) => c.name),
      ['fetchFromGitHub'],
    );
  });
});

describe('editing by span', () => {
  it('changes exactly one of two identical hash strings', () => {
    const text = readCorpus('prebuilt-per-system.nix');
    const sites = findHashAttributes(parseNix(text));
    const [x86, arm] = sites;
    assert.equal(x86!.value, arm!.value, 'the corpus file has the same hash twice');
    const replacement = 'sha256-NEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWN=';
    const edited = applyEdits(text, [{ span: arm!.valueSpan, text: renderNixString(replacement) }]);
    const after = findHashAttributes(parseNix(edited));
    assert.deepEqual(
      after.map((h) => [h.path.join('.'), h.value]),
      [
        ['hashes.x86_64-linux', x86!.value],
        ['hashes.aarch64-linux', replacement],
        ['hashes.x86_64-darwin', sites[2]!.value],
        ['hashes.aarch64-darwin', sites[3]!.value],
      ],
    );
    // a text search would have hit the first occurrence, which is x86_64-linux's
    assert.ok(text.indexOf(x86!.value!) < arm!.valueSpan.start);
    assert.equal(edited.length, text.length + replacement.length - arm!.value!.length);
  });

  it('edits the second of two identical fetcher hashes and leaves a comment with the same text alone', () => {
    const text = readCorpus('srcs-per-system.nix');
    const [, arm] = findHashAttributes(parseNix(text));
    const edited = applyEdits(text, [{ span: arm!.valueSpan, text: '"sha256-changed"' }]);
    assert.deepEqual(
      findHashAttributes(parseNix(edited)).map((h) => h.value),
      [
        'sha256-yX1fF2vQ8H3t5k0pR9wU7mZ4bN6cD2eA1sL8jK3gH5o=',
        'sha256-changed',
        'sha256-Qk9rT2mV6nB8xC4zL1pW7sE3dF5gH0jA2uY9iO6tR8w=',
      ],
    );

    const commented = readCorpus('comments-everywhere.nix');
    const [hash] = findHashAttributes(parseNix(commented));
    const old = hash!.value!;
    const changed = applyEdits(commented, [{ span: hash!.valueSpan, text: '"sha256-new"' }]);
    assert.equal(
      changed.split(old).length - 1,
      commented.split(old).length - 2,
      'exactly one occurrence changed',
    );
    assert.ok(changed.includes(`# ${old} is also written in this comment`));
    assert.ok(changed.includes(`sha = "${old}";`));
    assert.ok(changed.includes('hash /* the hash */ = "sha256-new";'));
  });

  it('applies several edits in any order, keeping everything else byte for byte', () => {
    const text = readCorpus('crlf-line-endings.nix');
    const doc = parseNix(text);
    const version = findVersion(doc)!;
    const [hash] = findHashAttributes(doc);
    const edited = applyEdits(text, [
      { span: hash!.valueSpan, text: renderNixString('sha256-x') },
      { span: version.valueSpan, text: renderNixString('4.0.0') },
    ]);
    assert.equal(edited, text.replace('"3.3.3"', '"4.0.0"').replace(/"sha256-[^"]+"/, '"sha256-x"'));
    assert.ok(edited.includes('\r\n') && !/[^\r]\n/.test(edited));
  });

  it('rewrites every hash of every corpus file to a distinct value, and only those bytes change', () => {
    const random = seededRandom(99);
    const awkward = ['"', '\\', '${', '$', '\n', 'é', '🚀', "''", 'x'];
    for (const name of corpusFiles) {
      const text = readCorpus(name);
      const sites = findHashAttributes(parseNix(text));
      const values = sites.map(
        (_, i) =>
          `new-${i}-${Array.from({ length: 4 }, () => awkward[Math.floor(random() * awkward.length)]).join('')}`,
      );
      const edited = applyEdits(
        text,
        sites.map((site, i) => ({ span: site.valueSpan, text: renderNixString(values[i] as string) })),
      );
      const after = findHashAttributes(parseNix(edited));
      assert.deepEqual(
        after.map((h) => [h.path.join('.'), h.value]),
        sites.map((h, i) => [h.path.join('.'), values[i]]),
        name,
      );
      // outside the edited spans the file is what it was
      let cursor = 0;
      let rebuilt = '';
      sites.forEach((site, i) => {
        rebuilt += text.slice(cursor, site.valueSpan.start) + renderNixString(values[i] as string);
        cursor = site.valueSpan.end;
      });
      assert.equal(edited, rebuilt + text.slice(cursor), name);
    }
  });

  it('refuses overlapping or out-of-range edits', () => {
    const check = (edits: { span: Span; text: string }[]): void =>
      assert.throws(
        () => applyEdits('0123456789', edits),
        (e: unknown) => isKilnError(e) && e.code === 'KILN_ERR_VALIDATION',
      );
    check([
      { span: { start: 2, end: 5 }, text: 'a' },
      { span: { start: 4, end: 6 }, text: 'b' },
    ]);
    check([
      { span: { start: 3, end: 3 }, text: 'a' },
      { span: { start: 3, end: 3 }, text: 'b' },
    ]);
    check([{ span: { start: 8, end: 11 }, text: 'a' }]);
    check([{ span: { start: 5, end: 4 }, text: 'a' }]);
    assert.equal(
      applyEdits('0123456789', [
        { span: { start: 5, end: 7 }, text: 'X' },
        { span: { start: 0, end: 0 }, text: '>' },
        { span: { start: 2, end: 5 }, text: '' },
      ]),
      '>01X789',
    );
  });
});
