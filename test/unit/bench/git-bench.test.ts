import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildTimings,
  goalText,
  median,
  medianTimings,
  percentile,
  renderTable,
  verdict,
} from '../../../bench/git/stats.js';

describe('git benchmark figures', () => {
  it('takes nearest-rank percentiles: p95 of 1..20 is 19, the median of 1..30 is 15', () => {
    const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => n - i); // unsorted
    assert.equal(percentile(oneTo(20), 95), 19);
    assert.equal(percentile(oneTo(20), 100), 20);
    assert.equal(percentile(oneTo(20), 0), 1);
    assert.equal(median(oneTo(30)), 15);
    assert.equal(median([7]), 7);
    assert.ok(Number.isNaN(median([])));
  });

  it("splits a build's time into queueing, each step and the rest", () => {
    const at = (ms: number): string => new Date(Date.UTC(2024, 0, 1) + ms).toISOString();
    const timings = buildTimings({
      createdAt: at(0),
      finishedAt: at(200),
      steps: [
        { name: 'clone', startedAt: at(5), finishedAt: at(55) },
        { name: 'eval', startedAt: at(56), finishedAt: at(100) },
        { name: 'realise', startedAt: at(100), finishedAt: at(170) },
        { name: 'closure-size', startedAt: at(171), finishedAt: at(198) },
      ],
    });
    assert.equal(timings.queued, 5);
    assert.deepEqual(
      [...timings.steps],
      [
        ['clone', 50],
        ['eval', 44],
        ['realise', 70],
        ['closure-size', 27],
      ],
    );
    assert.equal(timings.between, 4);
    assert.equal(timings.total, 200);

    const slower = buildTimings({
      createdAt: at(0),
      finishedAt: at(400),
      steps: [{ name: 'clone', startedAt: at(1), finishedAt: at(399) }],
    });
    const typical = medianTimings([timings, slower, timings]);
    assert.equal(typical.steps.get('clone'), 50);
    assert.equal(typical.steps.get('realise'), 70, 'a step missing from one build counts as 0 there');
    assert.equal(typical.total, 200);
  });

  it('judges goals with their own comparison, and a missing figure as missed', () => {
    const fast = { op: '<', limit: 50, unit: 'ms' } as const;
    const ratio = { op: '<=', limit: 1.3, unit: 'x' } as const;
    assert.equal(verdict(49.9, fast), 'met');
    assert.equal(verdict(50, fast), 'missed');
    assert.equal(verdict(1.3, ratio), 'met');
    assert.equal(verdict(1.31, ratio), 'missed');
    assert.equal(verdict(Number.NaN, ratio), 'missed');
    assert.equal(goalText(fast), '< 50 ms');
    assert.equal(goalText(ratio), '<= 1.3x');
  });

  it('prints an aligned table', () => {
    const table = renderTable(
      'title',
      ['', 'kiln', 'goal'],
      [
        ['POST, median', '12.0 ms', '< 50 ms'],
        ['p95', '30.5 ms'],
      ],
    );
    assert.equal(
      table,
      [
        'title',
        '                kiln     goal',
        '  POST, median  12.0 ms  < 50 ms',
        '  p95           30.5 ms',
      ].join('\n'),
    );
  });
});
