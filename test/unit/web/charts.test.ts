import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bandCenter,
  bucketAt,
  isolatedPoints,
  labelIndexes,
  labelPlacement,
  linePath,
  linearScale,
  niceStep,
  niceTicks,
  stackedBars,
  valueDomain,
  type Frame,
} from '../../../src/web/client/chart-geometry.js';

// 100 x 100 of plot inside a 120 x 130 viewBox: x 10..110, y 10 (top) .. 110 (baseline).
const FRAME: Frame = { width: 120, height: 130, left: 10, right: 10, top: 10, bottom: 20 };

describe('chart geometry: scales and ticks', () => {
  it('maps a domain linearly onto a range, inverted for y', () => {
    const y = linearScale([0, 50], [110, 10]);
    assert.equal(y(0), 110);
    assert.equal(y(50), 10);
    assert.equal(y(25), 60);
    assert.equal(linearScale([3, 3], [0, 100])(3), 0);
  });

  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    assert.equal(niceStep(100, 4), 50);
    assert.equal(niceStep(7, 4), 2);
    assert.equal(niceStep(1, 4), 0.5);
    assert.equal(niceStep(0.9, 3), 0.5);
    assert.equal(niceStep(3_600_000, 4), 1_000_000);
  });

  it('makes ticks that cover the range with round values', () => {
    assert.deepEqual(niceTicks(0, 7), [0, 2, 4, 6, 8]);
    assert.deepEqual(niceTicks(0, 100), [0, 50, 100]);
    assert.deepEqual(niceTicks(0, 0.3), [0, 0.1, 0.2, 0.3]);
    assert.deepEqual(niceTicks(0, 1, 4), [0, 0.5, 1]);
    // An empty range still gets an axis.
    assert.deepEqual(niceTicks(0, 0), [0, 0.5, 1]);
    assert.deepEqual(niceTicks(-3, 4), [-4, -2, 0, 2, 4]);
    assert.deepEqual(niceTicks(Number.NaN, Number.NaN), [0, 0.5, 1]);
  });

  it('plots from zero to the largest value, ignoring gaps, at least up to a fixed maximum', () => {
    assert.deepEqual(
      valueDomain([
        [3, null, 9],
        [null, 12],
      ]),
      [0, 12],
    );
    assert.deepEqual(valueDomain([[null, null]]), [0, 0]);
    assert.deepEqual(valueDomain([[40, 60]], { fixedMax: 100 }), [0, 100]);
    assert.deepEqual(valueDomain([[-5, 2]]), [-5, 2]);
  });
});

describe('chart geometry: lines', () => {
  it('puts each bucket at the centre of its band', () => {
    assert.equal(bandCenter(FRAME, 4, 0), 22.5);
    assert.equal(bandCenter(FRAME, 4, 3), 97.5);
    assert.equal(bandCenter(FRAME, 1, 0), 60);
  });

  it('draws a line through every value, from the baseline up', () => {
    assert.equal(linePath([0, 50, 100, 25], FRAME, [0, 100]), 'M22.5 110 L47.5 60 L72.5 10 L97.5 85');
  });

  it('breaks the line where there is no data instead of drawing a slope across the gap', () => {
    assert.equal(linePath([10, 20, null, 40], FRAME, [0, 100]), 'M22.5 100 L47.5 90 M97.5 70');
    assert.equal(linePath([null, null], FRAME, [0, 100]), '');
  });

  it('marks points with no neighbour, which a line alone would not show', () => {
    assert.deepEqual(isolatedPoints([10, 20, null, 40], FRAME, [0, 100]), [{ x: 97.5, y: 70 }]);
    assert.deepEqual(isolatedPoints([null, 50, null], FRAME, [0, 100]), [{ x: 60, y: 60 }]);
    assert.deepEqual(isolatedPoints([1, 2, 3], FRAME, [0, 100]), []);
  });
});

describe('chart geometry: bars, labels, hover', () => {
  it('stacks the layers of each bucket from the baseline up', () => {
    const [succeeded, failed] = stackedBars(
      [
        [50, 0],
        [25, 100],
      ],
      FRAME,
      [0, 100],
      0.5,
    );
    // Band 50 wide, bar 25 wide, centred at 35 and 85.
    assert.deepEqual(succeeded, [
      { x: 22.5, y: 60, width: 25, height: 50 },
      { x: 72.5, y: 110, width: 25, height: 0 },
    ]);
    assert.deepEqual(failed, [
      { x: 22.5, y: 35, width: 25, height: 25 },
      { x: 72.5, y: 10, width: 25, height: 100 },
    ]);
  });

  it('treats negative bar values as zero', () => {
    assert.equal(stackedBars([[-5]], FRAME, [0, 10])[0]?.[0]?.height, 0);
  });

  it('labels at most the given number of buckets, always the newest', () => {
    assert.deepEqual(labelIndexes(3, 6), [0, 1, 2]);
    assert.deepEqual(labelIndexes(24, 6), [3, 8, 13, 18, 23]);
    assert.deepEqual(labelIndexes(7, 4), [0, 2, 4, 6]);
    assert.deepEqual(labelIndexes(0, 6), []);
    for (const [count, max] of [
      [28, 6],
      [30, 6],
      [168, 6],
      [500, 5],
    ] as const) {
      const indexes = labelIndexes(count, max);
      assert.ok(indexes.length <= max, `${count}/${max}: ${indexes.join(',')}`);
      assert.equal(indexes.at(-1), count - 1);
    }
  });

  it('centres labels under their bucket but ends the newest at the right edge', () => {
    assert.deepEqual(labelPlacement(FRAME, 4, 0), { x: 22.5, anchor: 'middle' });
    assert.deepEqual(labelPlacement(FRAME, 4, 3), { x: 118, anchor: 'end' });
    assert.deepEqual(labelPlacement(FRAME, 1, 0), { x: 60, anchor: 'middle' });
  });

  it('finds the bucket under the pointer, clamped to the plot', () => {
    assert.equal(bucketAt(FRAME, 4, 11), 0);
    assert.equal(bucketAt(FRAME, 4, 60), 2);
    assert.equal(bucketAt(FRAME, 4, 109), 3);
    assert.equal(bucketAt(FRAME, 4, 0), 0);
    assert.equal(bucketAt(FRAME, 4, 500), 3);
  });
});
