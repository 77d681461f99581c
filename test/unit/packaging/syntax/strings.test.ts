import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseNix, renderNixString, type NixChild, type NixExpr } from '../../../../src/packaging/index.js';
import { stringValue } from '../../../../src/packaging/syntax/strings.js';
import { tempDir } from '../../../helpers/tmp.js';
import { corpusDir, corpusFiles, readCorpus } from './corpus.js';
import { NixGenerator, seededRandom } from './generator.js';
import { nixEvalJson } from './nix-cli.js';

const ALPHABET = [
  'a',
  'b',
  'Z',
  '0',
  ' ',
  '"',
  '\\',
  '$',
  '{',
  '}',
  '${',
  '$${',
  '\n',
  '\t',
  '\r',
  "'",
  "''",
  'é',
  '日',
  '🚀',
  '#',
  '/*',
];

function randomValue(random: () => number): string {
  let out = '';
  for (let n = Math.floor(random() * 12); n > 0; n--) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

/** Every plain (interpolation-free) string literal of a tree. */
function literals(node: NixChild, into: NixExpr[] = []): NixExpr[] {
  if (node.type === 'token') return into;
  if (node.kind === 'string' && node.parts.every((p) => p.type === 'token')) into.push(node);
  for (const child of node.children) literals(child, into);
  return into;
}

describe('renderNixString', () => {
  it('escapes backslashes, quotes, ${ and control characters', () => {
    assert.equal(renderNixString('a"b\\c${d}$e\n\t\r'), '"a\\"b\\\\c\\${d}$e\\n\\t\\r"');
    assert.equal(renderNixString(''), '""');
    assert.equal(renderNixString('$'), '"$"');
  });

  it('evaluates back to the value in Nix for 300 random strings', (t) => {
    const random = seededRandom(42);
    const values = Array.from({ length: 300 }, () => randomValue(random));
    values.push('$', '$$', '${', '$${', '\\${', '"', '\\', '\r\n');
    const file = join(tempDir(t, 'kiln-nix-str-'), 'strings.nix');
    writeFileSync(file, `[\n${values.map((v) => `  ${renderNixString(v)}\n`).join('')}]\n`);
    assert.deepEqual(nixEvalJson(file), values);
  });
});

describe('string literal values', () => {
  it('match what Nix evaluates for every plain literal of the corpus', (t) => {
    const dir = tempDir(t, 'kiln-nix-val-');
    for (const name of corpusFiles) {
      const nodes = literals(parseNix(readCorpus(name)));
      const text = readCorpus(name);
      const file = join(dir, name);
      writeFileSync(file, `[\n${nodes.map((n) => text.slice(n.span.start, n.span.end)).join('\n')}\n]\n`);
      const ours = nodes.map((n) => (n.kind === 'string' ? stringValue(n) : undefined));
      assert.deepEqual(ours, nixEvalJson(file), `${corpusDir}/${name}`);
    }
  });

  it("match what Nix evaluates for 300 generated \"…\" and ''…'' literals", (t) => {
    const generator = new NixGenerator(seededRandom(7));
    const sources = Array.from({ length: 300 }, (_, i) =>
      i % 2 === 0 ? `"${generator.doubleContent(0, [], false)}"` : generator.indented(0, []),
    );
    const file = join(tempDir(t, 'kiln-nix-lit-'), 'literals.nix');
    writeFileSync(file, `[\n${sources.join('\n')}\n]\n`);
    const ours = sources.map((source) => {
      const expr = parseNix(source).expr;
      assert.equal(expr.kind, 'string', source);
      return expr.kind === 'string' ? stringValue(expr) : undefined;
    });
    assert.deepEqual(ours, nixEvalJson(file));
  });
});
