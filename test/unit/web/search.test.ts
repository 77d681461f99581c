import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findMatches,
  lineHash,
  markSegments,
  matchesOnLine,
  parseLineHash,
  stepMatch,
  visibleRange,
} from '../../../src/web/client/search.js';

describe('findMatches', () => {
  const lines = ['Error: one error', 'fine', 'ERROR again', 'aaaa'];

  it('finds every occurrence, case-insensitively by default, in line order', () => {
    assert.deepEqual(findMatches(lines, 'error'), [
      { line: 0, start: 0, end: 5 },
      { line: 0, start: 11, end: 16 },
      { line: 2, start: 0, end: 5 },
    ]);
  });

  it('respects case when asked', () => {
    assert.deepEqual(findMatches(lines, 'ERROR', { caseSensitive: true }), [{ line: 2, start: 0, end: 5 }]);
  });

  it('does not overlap matches', () => {
    assert.deepEqual(
      findMatches(lines, 'aa').map((m) => m.start),
      [0, 2],
    );
  });

  it('stops at the limit and can start at a later line (incremental search of new lines)', () => {
    assert.equal(findMatches(lines, 'error', { limit: 2 }).length, 2);
    assert.deepEqual(findMatches(lines, 'error', {}, 1), [{ line: 2, start: 0, end: 5 }]);
  });

  it('finds nothing for an empty query', () => {
    assert.deepEqual(findMatches(lines, ''), []);
  });

  it('searches 100,000 lines quickly', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => `line ${i} building something`);
    const started = performance.now();
    const found = findMatches(big, 'line 9999');
    assert.equal(found.length, 11); // 9999 and 99990–99999
    assert.ok(performance.now() - started < 500);
  });
});

describe('stepMatch', () => {
  const matches = [
    { line: 2, start: 0, end: 1 },
    { line: 5, start: 0, end: 1 },
    { line: 9, start: 0, end: 1 },
  ];

  it('goes forward and back, wrapping around', () => {
    assert.equal(stepMatch(matches, 0, 1), 1);
    assert.equal(stepMatch(matches, 2, 1), 0);
    assert.equal(stepMatch(matches, 0, -1), 2);
  });

  it('starts from the first match at or after the line in view (or before it, going back)', () => {
    assert.equal(stepMatch(matches, -1, 1, 4), 1);
    assert.equal(stepMatch(matches, -1, 1, 10), 0);
    assert.equal(stepMatch(matches, -1, -1, 8), 1);
    assert.equal(stepMatch(matches, -1, -1, 1), 2);
  });

  it('has nothing to go to without matches', () => {
    assert.equal(stepMatch([], -1, 1), -1);
  });
});

describe('matchesOnLine', () => {
  it('returns the matches of one line with their indices', () => {
    const matches = [
      { line: 1, start: 0, end: 1 },
      { line: 3, start: 0, end: 1 },
      { line: 3, start: 4, end: 5 },
      { line: 7, start: 0, end: 1 },
    ];
    assert.deepEqual(
      matchesOnLine(matches, 3).map((m) => m.index),
      [1, 2],
    );
    assert.deepEqual(matchesOnLine(matches, 2), []);
    assert.deepEqual(matchesOnLine([], 0), []);
  });
});

describe('markSegments', () => {
  const segments = [
    { text: 'hello ', style: 'a' },
    { text: 'world', style: 'b' },
  ];

  it('splits styled segments at match boundaries, across segments', () => {
    assert.deepEqual(markSegments(segments, [{ start: 4, end: 8, current: false }]), [
      { text: 'hell', style: 'a', mark: 'none' },
      { text: 'o ', style: 'a', mark: 'match' },
      { text: 'wo', style: 'b', mark: 'match' },
      { text: 'rld', style: 'b', mark: 'none' },
    ]);
  });

  it('marks the current match differently and handles several ranges in one segment', () => {
    assert.deepEqual(
      markSegments(
        [{ text: 'abcabc', style: 0 }],
        [
          { start: 0, end: 1, current: false },
          { start: 3, end: 4, current: true },
        ],
      ),
      [
        { text: 'a', style: 0, mark: 'match' },
        { text: 'bc', style: 0, mark: 'none' },
        { text: 'a', style: 0, mark: 'current' },
        { text: 'bc', style: 0, mark: 'none' },
      ],
    );
  });

  it('keeps the segments as they are without ranges', () => {
    assert.deepEqual(
      markSegments(segments, []).map((s) => s.text),
      ['hello ', 'world'],
    );
  });
});

describe('line links', () => {
  it('parses #L42 and ranges', () => {
    assert.deepEqual(parseLineHash('#L42'), { start: 42, end: 42 });
    assert.deepEqual(parseLineHash('#L10-L20'), { start: 10, end: 20 });
    assert.deepEqual(parseLineHash('#L20-10'), { start: 10, end: 20 });
  });

  it('rejects anything else', () => {
    for (const hash of ['', '#', '#L', '#L0', '#l5', '#L5x', '#top', 'L5'])
      assert.equal(parseLineHash(hash), null, hash);
  });

  it('writes the hash back', () => {
    assert.equal(lineHash(7), '#L7');
    assert.equal(lineHash(9, 3), '#L3-L9');
    assert.deepEqual(parseLineHash(lineHash(3, 9)), { start: 3, end: 9 });
  });
});

describe('visibleRange', () => {
  it('covers the viewport plus overscan, clamped to the list', () => {
    assert.deepEqual(visibleRange(0, 200, 20, 1000, 5), { first: 0, last: 15 });
    assert.deepEqual(visibleRange(2000, 200, 20, 1000, 5), { first: 95, last: 115 });
    assert.deepEqual(visibleRange(19_900, 200, 20, 1000, 5), { first: 990, last: 1000 });
  });

  it('renders at most a screenful for 100,000 lines', () => {
    const { first, last } = visibleRange(1_000_000, 700, 20, 100_000);
    assert.ok(last - first <= 60, `${last - first} rows`);
    assert.deepEqual(visibleRange(0, 600, 20, 0), { first: 0, last: 0 });
  });
});
