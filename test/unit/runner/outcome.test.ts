import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LogTail, classifyFailure, type RealiseFailure } from '../../../src/runner/nix/index.js';
import { replay } from './fixtures.js';

interface Overrides {
  exitCode?: number | null;
  wallClockTimedOut?: boolean;
  aborted?: boolean;
  rawTail?: string[];
}

/** Classifies a recorded stream the way NixRunner.realise does. */
function classify(fixture: string | null, overrides: Overrides = {}): RealiseFailure {
  const tail = new LogTail();
  const errors: string[] = [];
  for (const event of fixture === null ? [] : replay(fixture)) {
    if (event.type === 'log-line') tail.add(event.drvPath, event.text);
    if (event.type === 'error') errors.push(event.text);
  }
  return classifyFailure({
    exitCode: 1,
    wallClockTimedOut: false,
    aborted: false,
    timeoutSeconds: 60,
    errors,
    rawTail: [],
    tail,
    ...overrides,
  });
}

describe('classifyFailure', () => {
  it('a failing builder: build-failed, with the error and that builder’s last lines (ANSI stripped)', () => {
    const result = classify('builder-failure.jsonl', { exitCode: 100 });
    assert.equal(result.status, 'failed');
    assert.equal(result.reason, 'build-failed');
    assert.equal(result.exitCode, 100);
    assert.match(result.message, /^builder for '.*-kiln-fixture-broken\.drv' failed with exit code 3$/m);
    assert.match(result.message, /failed to build$/m);
    assert.match(
      result.message,
      /Last log lines of \/nix\/store\/\w+-kiln-fixture-broken\.drv:\n> line one\n> line two\n> red$/,
    );
  });

  it('--timeout: timed_out with reason nix-timeout', () => {
    const result = classify('timeout.jsonl', { exitCode: 101 });
    assert.equal(result.status, 'timed_out');
    assert.equal(result.reason, 'nix-timeout');
    assert.match(
      result.message,
      /timed out after 1 seconds\n\nLast log lines of .*-kiln-fixture-sleep\.drv:\n> starting$/,
    );
  });

  it('--max-silent-time: timed_out with reason silent-timeout', () => {
    const result = classify('silent-timeout.jsonl', { exitCode: 101 });
    assert.equal(result.status, 'timed_out');
    assert.equal(result.reason, 'silent-timeout');
  });

  it('exit status 101 alone still means a Nix timeout', () => {
    assert.equal(classify(null, { exitCode: 101 }).reason, 'nix-timeout');
    assert.equal(classify(null, { exitCode: 0x67 }).reason, 'nix-timeout');
  });

  it('our wall clock: timed_out with reason wall-clock-timeout, unless Nix reported its own timeout', () => {
    const ours = classify(null, { exitCode: null, wallClockTimedOut: true });
    assert.equal(ours.status, 'timed_out');
    assert.equal(ours.reason, 'wall-clock-timeout');
    assert.match(ours.message, /time limit of 60 seconds/);
    assert.equal(classify('timeout.jsonl', { exitCode: 101, wallClockTimedOut: true }).reason, 'nix-timeout');
  });

  it('abort wins over everything: cancelled', () => {
    const result = classify('builder-failure.jsonl', {
      exitCode: 100,
      aborted: true,
      wallClockTimedOut: true,
    });
    assert.deepEqual(result, {
      status: 'cancelled',
      exitCode: 100,
      reason: 'cancelled',
      message: 'build cancelled',
    });
  });

  it('other Nix problems: nix-error, described by the error, or by stray stderr and the exit code', () => {
    const tail = new LogTail();
    const withError = classifyFailure({
      exitCode: 1,
      wallClockTimedOut: false,
      aborted: false,
      timeoutSeconds: 1,
      errors: ["path '/nix/store/x.drv' is not valid"],
      rawTail: [],
      tail,
    });
    assert.equal(withError.reason, 'nix-error');
    assert.equal(withError.message, "path '/nix/store/x.drv' is not valid");
    const bare = classify(null, { exitCode: 1, rawTail: ['something odd'] });
    assert.equal(bare.reason, 'nix-error');
    assert.equal(bare.message, 'nix-store exited with code 1\nsomething odd');
    assert.match(classify(null, { exitCode: null }).message, /exited with a signal/);
  });

  it('a build status without an error message is still a build failure', () => {
    assert.equal(classify(null, { exitCode: 100 }).reason, 'build-failed');
  });
});

describe('LogTail', () => {
  it('keeps the last N lines per derivation and overall', () => {
    const tail = new LogTail(3);
    for (let i = 1; i <= 5; i++) tail.add('/a.drv', `a${i}`);
    tail.add('/b.drv', 'b1');
    tail.add(null, 'n1');
    assert.deepEqual(tail.lines('/a.drv'), { drvPath: '/a.drv', lines: ['a3', 'a4', 'a5'] });
    assert.deepEqual(tail.lines('/b.drv'), { drvPath: '/b.drv', lines: ['b1'] });
    assert.deepEqual(tail.lines('/silent.drv'), { drvPath: null, lines: ['a5', 'b1', 'n1'] });
    assert.deepEqual(tail.lines(null), { drvPath: null, lines: ['a5', 'b1', 'n1'] });
  });
});
