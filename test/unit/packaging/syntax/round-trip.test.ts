import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import { parseNix, printNix, type NixChild, type NixDocument } from '../../../../src/packaging/index.js';
import { tempDir } from '../../../helpers/tmp.js';
import { NixGenerator, seededRandom } from './generator.js';
import { corpusDir, corpusFiles, readCorpus } from './corpus.js';
import { nixParseFiles } from './nix-cli.js';

/** Every token in order must sit exactly after the previous one: the tree covers the text. */
function assertContiguous(doc: NixDocument, text: string): void {
  let offset = 0;
  const walk = (child: NixChild): void => {
    if (child.type === 'token') {
      assert.equal(
        child.span.start,
        offset + child.leading.length,
        `token '${child.text}' at ${child.span.start}`,
      );
      assert.equal(text.slice(child.span.start, child.span.end), child.text);
      offset = child.span.end;
      return;
    }
    for (const inner of child.children) walk(inner);
  };
  walk(doc);
  assert.equal(offset, text.length);
}

describe('Nix round trip: printNix(parseNix(text)) === text', () => {
  it('has a corpus of about twenty package files', () => {
    assert.ok(corpusFiles.length >= 20, `only ${corpusFiles.length} corpus files`);
  });

  it('the corpus is real Nix: nix-instantiate --parse accepts every file', () => {
    const run = nixParseFiles(corpusFiles.map((f) => join(corpusDir, f)));
    assert.equal(run.status, 0, run.stderr);
  });

  for (const name of corpusFiles) {
    it(`round-trips ${name} byte for byte`, () => {
      const text = readCorpus(name);
      const doc = parseNix(text);
      assert.equal(printNix(doc), text);
      assertContiguous(doc, text);
    });
  }

  it('keeps CRLF, tabs, unicode and a missing final newline', () => {
    const crlf = readCorpus('crlf-line-endings.nix');
    assert.ok(crlf.includes('\r\n'));
    assert.equal(printNix(parseNix(crlf)), crlf);
    const tabs = readCorpus('tabs-no-newline.nix');
    assert.ok(tabs.includes('\t') && !tabs.endsWith('\n'));
    assert.equal(printNix(parseNix(tabs)), tabs);
    const unicode = readCorpus('unicode.nix');
    assert.ok(/🚀/u.test(unicode));
    assert.equal(printNix(parseNix(unicode)), unicode);
  });

  it('prints from the tree, not from a stored copy of the source', () => {
    const doc = parseNix('{ a = "x"; }');
    const json = JSON.stringify(doc);
    assert.ok(!json.includes('{ a = "x"; }'), 'the document must not hold the source text');
  });

  it('round-trips small edge cases, which Nix accepts too', (t) => {
    const cases = [
      'x:x',
      '{a=1;}',
      '{ }: 1',
      '{ ... }@a: a',
      'a@{ b, c ? 2, }: b',
      '"$${x}"',
      "''$${x}''",
      "''a''${x}''",
      '"a$"',
      './a/${"b"}/c',
      './a${"b"}c',
      '~/${"x"}',
      '<nixpkgs/lib>',
      'http://example.org/a?b=c&d=e',
      '1/2',
      'let { body = 1; }',
      '{ or = 1; }.or',
      '1.',
      '.5',
      '00.5',
      '- 1 - -1',
      '!true || false',
      '{ a = 1; } ? a',
      '[ 1 2.5 "x" ./p (1 + 1) ]',
      'let a = 1; in let b = 2; in a + b',
      '/* c */ 1 /* d */',
      'rec { a = 1; b = a; }.b',
      '{ inherit (builtins) map; inherit ({ a = 1; }) a; }',
      "let a' = 1; a-b = 2; _x'-y = 3; in a' + a-b - _x'-y",
      'let f = x: x; in f -1',
      '{ a = 1; }.a or (throw "no")',
      '"multi\r\nline ${"nested ${"deep"}"}"',
    ];
    const dir = tempDir(t, 'kiln-nix-edge-');
    const files = cases.map((text, i) => {
      assert.equal(printNix(parseNix(text)), text, JSON.stringify(text));
      const file = join(dir, `edge-${i}.nix`);
      writeFileSync(file, text);
      return file;
    });
    const run = nixParseFiles(files);
    assert.equal(run.status, 0, run.stderr);
  });
});

describe('Nix round trip on generated expressions', () => {
  it('parses and prints 400 random expressions exactly, and Nix accepts each of them', (t) => {
    const dir = tempDir(t, 'kiln-nix-gen-');
    const files: string[] = [];
    for (let seed = 1; seed <= 400; seed++) {
      const text = new NixGenerator(seededRandom(seed)).file();
      let doc: NixDocument;
      try {
        doc = parseNix(text);
      } catch (error) {
        assert.fail(`seed ${seed}: ${(error as Error).message}\n${text}`);
      }
      assert.equal(printNix(doc), text, `seed ${seed}`);
      assertContiguous(doc, text);
      const file = join(dir, `case-${seed}.nix`);
      writeFileSync(file, text);
      files.push(file);
    }
    for (let i = 0; i < files.length; i += 100) {
      const run = nixParseFiles(files.slice(i, i + 100));
      assert.equal(run.status, 0, `nix rejected a generated file: ${run.stderr}`);
    }
  });
});

describe('Nix agreement on damaged files', () => {
  it('accepts a damaged file exactly when Nix does (200 cases; Nix also checks names, which we do not)', (t) => {
    const dir = tempDir(t, 'kiln-nix-mut-');
    const random = seededRandom(4242);
    const damage = [
      '{',
      '}',
      ';',
      '"',
      "'",
      '$',
      '/',
      '.',
      ' ',
      ':',
      '@',
      '?',
      '#',
      '*',
      '-',
      '\\',
      '\n',
      '=',
      '(',
      ')',
    ];
    const nameChecks = /undefined variable|already defined|duplicate formal|dynamic attributes not allowed/;
    let rejected = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const original = new NixGenerator(seededRandom(10_000 + seed)).file();
      const at = Math.floor(random() * original.length);
      const text =
        random() < 0.5
          ? original.slice(0, at) + original.slice(at + 1)
          : original.slice(0, at) +
            (damage[Math.floor(random() * damage.length)] as string) +
            original.slice(at);
      let ours: string | undefined;
      try {
        assert.equal(printNix(parseNix(text)), text);
      } catch (error) {
        assert.ok(isKilnError(error) && error.code === 'KILN_ERR_NIX_SYNTAX', String(error));
        ours = error.message;
      }
      const file = join(dir, `damaged-${seed}.nix`);
      writeFileSync(file, text);
      const run = nixParseFiles([file]);
      if (run.status === 0)
        assert.equal(ours, undefined, `seed ${seed}: Nix accepts, we said ${ours}\n${text}`);
      else if (ours === undefined) assert.match(run.stderr, nameChecks, `seed ${seed}: Nix rejects\n${text}`);
      if (ours !== undefined) rejected++;
    }
    assert.ok(rejected > 20, `only ${rejected} damaged files were invalid: the damage is too gentle`);
  });
});
