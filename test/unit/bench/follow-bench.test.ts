import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeness } from '../../../bench/follow/index.js';
import type { SideResult } from '../../../bench/follow/sides.js';
import {
  LogFingerprint,
  merge,
  newHistogram,
  record,
  sparse,
  summarize,
} from '../../../bench/follow/stats.js';

function print(lines: [number, string][]): LogFingerprint {
  const p = new LogFingerprint();
  for (const [seq, text] of lines) p.add(seq, text);
  return p;
}

describe('follow benchmark figures', () => {
  it('takes nearest-rank percentiles of whole-millisecond latencies', () => {
    const h = newHistogram();
    for (let ms = 1; ms <= 100; ms++) record(h, ms);
    record(h, -0.4); // stamped and parsed within the same millisecond
    record(h, 10 ** 9); // beyond the histogram: counted in its last bucket
    const s = summarize(merge([sparse(h)]));
    assert.equal(s.count, 102);
    assert.equal(s.p50, 50);
    assert.equal(s.p99, 100);
    assert.equal(s.max, 60_000);
  });

  it('merges the histograms of several processes', () => {
    const a = newHistogram();
    const b = newHistogram();
    record(a, 5);
    record(b, 5);
    record(b, 7);
    assert.deepEqual(sparse(merge([sparse(a), sparse(b)])), [
      [5, 2],
      [7, 1],
    ]);
  });

  it('tells apart logs that differ in a line, a missing line or the order', () => {
    const stored = print([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const same = print([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const changed = print([
      [1, 'a'],
      [2, 'B'],
      [3, 'c'],
    ]);
    const reordered = print([
      [1, 'a'],
      [3, 'c'],
      [2, 'b'],
    ]);
    const digest = stored.digest();
    assert.equal(same.digest(), digest);
    assert.notEqual(changed.digest(), digest);
    assert.equal(reordered.disorders, 1);
    assert.notEqual(reordered.digest(), digest);
  });

  it('fails completeness for a short stream, a wrong line, disorder or a missing end', () => {
    const stored = { count: 2, digest: 'd' };
    const side = (stream: Partial<SideResult['clients']['streams'][number]>): SideResult => ({
      clients: {
        streams: [
          { target: 0, count: 2, disorders: 0, digest: 'd', ended: true },
          { target: 0, count: 2, disorders: 0, digest: 'd', ended: true, ...stream },
        ],
        histogram: [],
        backlog: 0,
        firstLiveAt: 0,
        lastLineAt: 0,
        cpuMs: 0,
        loopDelayP99Ms: 0,
      },
      stored: [stored],
      serverCpuMs: 0,
      machineBusy: 0,
      problems: [],
    });
    assert.deepEqual(completeness(side({}), 2), []);
    assert.match(completeness(side({ count: 1 }), 2).join(), /different line count/);
    assert.match(completeness(side({ digest: 'x' }), 2).join(), /lines differ/);
    assert.match(completeness(side({ disorders: 1 }), 2).join(), /out of order/);
    assert.match(completeness(side({ ended: false }), 2).join(), /without their end event/);
    assert.match(completeness(side({}), 3).join(), /2 streams, expected 3/);
  });
});
