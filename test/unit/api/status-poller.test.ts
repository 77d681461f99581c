import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedBuilds } from '../../../src/api/status-poller.js';
import type { BuildStatus } from '../../../src/persistence/index.js';

const reads = (entries: [string, BuildStatus][]): Map<string, BuildStatus> => new Map(entries);

describe('changedBuilds (the live status poll)', () => {
  it('reports new builds, status changes and builds that finished, and nothing else', () => {
    const before = reads([
      ['a', 'pending'],
      ['b', 'running'],
      ['c', 'pending'],
    ]);
    const now = reads([
      ['a', 'pending'],
      ['b', 'running'],
      ['c', 'running'],
      ['d', 'pending'],
    ]);
    assert.deepEqual(changedBuilds(before, now).sort(), ['c', 'd']);
    assert.deepEqual(changedBuilds(now, reads([['a', 'pending']])).sort(), ['b', 'c', 'd']);
    assert.deepEqual(changedBuilds(now, now), []);
  });
});
