import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition, isTerminal, assertTransition } from '../../../src/builds/index.js';
import { BUILD_STATUSES } from '../../../src/persistence/index.js';
import { KilnError } from '../../../src/errors/index.js';

describe('build state machine', () => {
  it('follows pending → running → a terminal status', () => {
    assert.ok(canTransition('pending', 'running'));
    for (const end of ['succeeded', 'failed', 'cancelled', 'timed_out'] as const)
      assert.ok(canTransition('running', end));
    assert.ok(!canTransition('pending', 'succeeded'), 'nothing succeeds without running');
    assert.ok(!canTransition('pending', 'timed_out'));
  });

  it('lets pending builds be cancelled or superseded and running ones be re-queued', () => {
    assert.ok(canTransition('pending', 'cancelled'));
    assert.ok(canTransition('pending', 'superseded'));
    assert.ok(canTransition('running', 'pending'));
  });

  it('never leaves a terminal status', () => {
    for (const from of BUILD_STATUSES) {
      if (!isTerminal(from)) continue;
      for (const to of BUILD_STATUSES) assert.ok(!canTransition(from, to), `${from} -> ${to}`);
    }
    assert.deepEqual(
      BUILD_STATUSES.filter((s) => isTerminal(s)),
      ['succeeded', 'failed', 'cancelled', 'timed_out', 'superseded', 'dependency_failed'],
    );
  });

  it('fails a pending build whose dependency failed without running it', () => {
    assert.ok(canTransition('pending', 'dependency_failed'));
    assert.ok(!canTransition('running', 'dependency_failed'), 'a running build has its dependencies');
  });

  it('explains a refused transition with a conflict code', () => {
    assert.throws(
      () => assertTransition('b1', 'succeeded', 'cancelled'),
      (e: unknown) =>
        e instanceof KilnError &&
        e.code === 'KILN_ERR_CONFLICT' &&
        /already finished \(succeeded\)/.test(e.message),
    );
    assert.doesNotThrow(() => assertTransition('b1', 'running', 'cancelled'));
  });
});
