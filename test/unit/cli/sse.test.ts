import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser, parseSse, type SseMessage } from '../../../src/cli/sse.js';

function feed(chunks: readonly (string | Uint8Array)[]): SseMessage[] {
  const parser = new SseParser();
  const out: SseMessage[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

/** Cuts `text` at the given positions (any positions, sorted and clamped). */
function splitAt<T extends { length: number; slice(a: number, b?: number): T }>(
  text: T,
  cuts: readonly number[],
): T[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
  const parts: T[] = [];
  let start = 0;
  for (const p of points) {
    parts.push(text.slice(start, p));
    start = p;
  }
  parts.push(text.slice(start));
  return parts;
}

void describe('SseParser', () => {
  void it('parses events, ids, comments and retry', () => {
    const stream =
      'retry: 1000\n\n: ping\n\nevent: line\nid: 7\ndata: {"a":1}\n\ndata: first\ndata: second\n\n';
    assert.deepEqual(parseSse(stream), [
      { type: 'retry', ms: 1000 },
      { type: 'comment', text: ' ping' },
      { type: 'event', event: 'line', data: '{"a":1}', id: '7' },
      // The id persists into later events; the type resets to "message".
      { type: 'event', event: 'message', data: 'first\nsecond', id: '7' },
    ]);
  });

  void it('handles CRLF, CR and LF line endings alike', () => {
    const expected = [{ type: 'event', event: 'x', data: 'a\nb', id: '' }];
    for (const eol of ['\n', '\r', '\r\n']) {
      assert.deepEqual(
        parseSse(['event: x', 'data: a', 'data: b', '', ''].join(eol)),
        expected,
        JSON.stringify(eol),
      );
    }
  });

  void it('treats a CR at a chunk end followed by LF as one line end', () => {
    assert.deepEqual(feed(['data: a\r', '\n\r', '\n']), [
      { type: 'event', event: 'message', data: 'a', id: '' },
    ]);
  });

  void it('follows the spec details', () => {
    // No space after the colon, a field without a colon, only one leading space removed.
    assert.deepEqual(parseSse('data:x\ndata\ndata:  y\n\n'), [
      { type: 'event', event: 'message', data: 'x\n\n y', id: '' },
    ]);
    // No data: nothing dispatched, but the id still updates.
    assert.deepEqual(parseSse('id: 3\nevent: e\n\ndata: d\n\n'), [
      { type: 'event', event: 'message', data: 'd', id: '3' },
    ]);
    // An id with NUL is ignored; a bad retry is ignored; unknown fields are ignored.
    assert.deepEqual(parseSse('id: 1\n\nid: a\0b\nretry: 1s\nfoo: bar\ndata: d\n\n'), [
      { type: 'event', event: 'message', data: 'd', id: '1' },
    ]);
    // An empty id resets it.
    assert.deepEqual(
      parseSse('id: 5\ndata: a\n\nid\ndata: b\n\n').map((m) => (m.type === 'event' ? m.id : '?')),
      ['5', ''],
    );
    // A leading BOM is skipped; an unterminated event at the end is dropped.
    assert.deepEqual(parseSse('\uFEFFdata: a\n\ndata: incomplete\n'), [
      { type: 'event', event: 'message', data: 'a', id: '' },
    ]);
  });

  void it('decodes UTF-8 split inside a character', () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    const out = feed(Array.from(bytes, (b) => Uint8Array.of(b)));
    assert.deepEqual(out, [{ type: 'event', event: 'message', data: 'héllo ✓', id: '' }]);
  });

  type Item =
    | { kind: 'event'; event: string | undefined; id: string | undefined; data: string[] }
    | { kind: 'comment'; text: string }
    | { kind: 'retry'; ms: number };
  const value = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/[\r\n\0]/.test(s));
  const item: fc.Arbitrary<Item> = fc.oneof(
    fc.record({
      kind: fc.constant('event' as const),
      event: fc.option(
        value.filter((s) => s !== ''),
        { nil: undefined },
      ),
      id: fc.option(value, { nil: undefined }),
      data: fc.array(value, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('comment' as const), text: value }),
    fc.record({ kind: fc.constant('retry' as const), ms: fc.nat(100_000) }),
  );
  const eol = fc.constantFrom('\n', '\r', '\r\n');

  /** Serialises items with the given line endings and computes what a correct parser must yield. */
  function build(
    items: readonly Item[],
    endings: readonly string[],
  ): { text: string; expected: SseMessage[] } {
    const lines: string[] = [];
    const expected: SseMessage[] = [];
    let lastId = '';
    for (const it of items) {
      if (it.kind === 'comment') {
        lines.push(`:${it.text}`);
        expected.push({ type: 'comment', text: it.text });
      } else if (it.kind === 'retry') {
        lines.push(`retry: ${it.ms}`);
        expected.push({ type: 'retry', ms: it.ms });
      } else {
        if (it.event !== undefined) lines.push(`event: ${it.event}`);
        if (it.id !== undefined) {
          lines.push(`id: ${it.id}`);
          lastId = it.id;
        }
        for (const d of it.data) lines.push(`data: ${d}`);
        lines.push('');
        expected.push({ type: 'event', event: it.event ?? 'message', data: it.data.join('\n'), id: lastId });
      }
    }
    let text = '';
    let previous = '';
    lines.forEach((line, i) => {
      let end = endings[i % Math.max(1, endings.length)] ?? '\n';
      // "\r" then an empty line ended by "\n" would read as one CRLF: pick an unambiguous ending.
      if (previous === '\r' && line === '' && end === '\n') end = '\r\n';
      text += line + end;
      previous = end;
    });
    return { text, expected };
  }

  void it('yields the same events for any split of the stream into chunks (property)', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.array(eol, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(400), { maxLength: 12 }),
        (items, endings, cuts) => {
          const { text, expected } = build(items, endings);
          assert.deepEqual(feed([text]), expected);
          assert.deepEqual(feed(splitAt(text, cuts)), expected);
          // The same over bytes, so cuts also land inside multi-byte characters.
          const bytes = new TextEncoder().encode(text);
          assert.deepEqual(feed(splitAt(bytes, cuts)), expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  void it('refuses an endless line', () => {
    const parser = new SseParser();
    const big = 'x'.repeat(1024 * 1024);
    assert.throws(() => {
      for (let i = 0; i < 20; i++) parser.push(big);
    }, /longer than/);
  });
});
