import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter } from '../../../src/process/index.js';

function split(chunks: (Buffer | string)[], maxLineChars?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineChars);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

/** What splitting `text` into lines should give: no empty line for a final terminator. */
function expectedLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines across chunks and flushes an unterminated last line at the end', () => {
    assert.deepEqual(split(['he', 'llo\nwor', 'ld\n', 'tail']), ['hello', 'world', 'tail']);
    assert.deepEqual(split(['a\n\nb\n']), ['a', '', 'b']);
    assert.deepEqual(split([]), []);
    assert.deepEqual(split(['\n']), ['']);
  });

  it('strips the CR of CRLF line endings', () => {
    assert.deepEqual(split(['one\r\ntwo\r', '\n']), ['one', 'two']);
  });

  it('decodes UTF-8 sequences split across chunks', () => {
    const bytes = Buffer.from('€ and 🚀\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    assert.deepEqual(split(chunks), ['€ and 🚀']);
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    assert.deepEqual(split([Buffer.from([0x61, 0xff, 0x62, 0x0a]), Buffer.from([0xe2, 0x82])]), [
      'a\ufffdb',
      '\ufffd',
    ]);
  });

  it('cuts very long lines into pieces of at most maxLineChars', () => {
    const lines = split(['x'.repeat(25), 'y'.repeat(10), '\nshort\n'], 10);
    assert.deepEqual(lines, ['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxxyyyyy', 'yyyyy', 'short']);
    assert.deepEqual(split(['z'.repeat(21) + '\n'], 10), ['z'.repeat(10), 'z'.repeat(10), 'z']);
  });

  it('never cuts a surrogate pair in half', () => {
    const lines = split(['ab🚀cd\n'], 3);
    assert.deepEqual(lines, ['ab', '🚀c', 'd']);
  });

  it('refuses a useless maximum', () => {
    assert.throws(() => new LineSplitter(() => undefined, 1), RangeError);
  });

  it('gives the same lines however the bytes are chunked (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).map((s) => s.replace(/\r/g, '')),
        fc.array(fc.nat(), { maxLength: 8 }),
        (text, cuts) => {
          const bytes = Buffer.from(text, 'utf8');
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let start = 0;
          for (const p of points) {
            chunks.push(bytes.subarray(start, p));
            start = p;
          }
          chunks.push(bytes.subarray(start));
          assert.deepEqual(split(chunks), expectedLines(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps every piece within the limit and loses no text (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 2, max: 20 }),
        (text, max) => {
          const clean = text.replace(/\r/g, '');
          const lines = split([clean], max);
          assert.ok(lines.every((l) => l.length <= max));
          assert.equal(lines.join(''), clean.replace(/\n/g, ''));
        },
      ),
      { numRuns: 500 },
    );
  });
});
