import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addPhase,
  drvName,
  failureText,
  progressPercent,
  sourceText,
  timeline,
} from '../../../src/web/client/build-facts.js';

describe('sourceText', () => {
  it('describes each kind of source', () => {
    assert.equal(
      sourceText({ kind: 'git', url: 'https://x/app.git', ref: 'main', attr: 'hello' }),
      'https://x/app.git @ main · hello',
    );
    assert.equal(sourceText({ kind: 'git', url: 'https://x/app.git' }), 'https://x/app.git');
    assert.equal(sourceText({ kind: 'expr', fileName: 'hello.nix' }), 'expression (hello.nix)');
    assert.equal(sourceText({ kind: 'expr' }), 'expression');
    assert.equal(sourceText({ kind: 'template', name: 'node', version: '2' }), 'template node@2');
    assert.equal(sourceText({ kind: 'bump', sync: 'hello', version: '1.1' }), 'version sync hello → 1.1');
    assert.equal(sourceText({ kind: 'other' }), 'other');
  });
});

describe('timeline', () => {
  const t = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  it('places steps on one axis as percentages', () => {
    const bars = timeline([
      { name: 'eval', status: 'succeeded', startedAt: t(0), finishedAt: t(2), detail: null },
      { name: 'realise', status: 'succeeded', startedAt: t(2), finishedAt: t(10), detail: '3 drvs' },
    ]);
    assert.deepEqual(
      bars.map((b) => [b.name, b.left, b.width, b.label]),
      [
        ['eval', 0, 20, '2.0 s'],
        ['realise', 20, 80, '8.0 s'],
      ],
    );
    assert.equal(bars[1]?.detail, '3 drvs');
  });

  it('runs a running step up to now and keeps instant steps visible', () => {
    const now = Date.parse(t(20));
    const bars = timeline(
      [
        { name: 'realise', status: 'running', startedAt: t(10), finishedAt: null, detail: null },
        { name: 'mark', status: 'succeeded', startedAt: t(10), finishedAt: t(10), detail: null },
      ],
      now,
    );
    assert.equal(bars[0]?.width, 100);
    assert.equal(bars[0]?.label, '10.0 s…');
    assert.equal(bars[1]?.width, 0.5);
    assert.deepEqual(timeline([]), []);
  });
});

describe('phases', () => {
  it('adds a phase unless it repeats the last one of the same derivation', () => {
    let phases = addPhase([], { phase: 'unpackPhase', drv: 'a.drv', at: 1, line: null });
    phases = addPhase(phases, { phase: 'unpackPhase', drv: 'a.drv', at: 2, line: null });
    phases = addPhase(phases, { phase: 'unpackPhase', drv: 'b.drv', at: 3, line: null });
    phases = addPhase(phases, { phase: 'buildPhase', drv: 'a.drv', at: 4, line: null });
    assert.deepEqual(
      phases.map((p) => `${p.drv}:${p.phase}`),
      ['a.drv:unpackPhase', 'b.drv:unpackPhase', 'a.drv:buildPhase'],
    );
  });

  it('names derivations', () => {
    assert.equal(drvName('/nix/store/6lac79r0p9ms0c0ikzmbhhxcfg6rg4mq-hello-1.0.drv'), 'hello-1.0');
    assert.equal(drvName(null), null);
  });
});

describe('failureText and progressPercent', () => {
  it('explains builds that did not succeed, and says nothing otherwise', () => {
    assert.equal(failureText({ status: 'succeeded', error: null, reason: null, exitCode: null }), null);
    assert.equal(failureText({ status: 'running', error: null, reason: null, exitCode: null }), null);
    assert.equal(
      failureText({ status: 'failed', error: 'builder failed', reason: null, exitCode: 1 }),
      'Exit code 1. builder failed',
    );
    assert.equal(
      failureText({ status: 'timed_out', error: null, reason: 'timeout', exitCode: null }),
      'Reason: timeout.',
    );
    assert.equal(
      failureText({ status: 'dependency_failed', error: null, reason: null, exitCode: null }),
      'The build dependency failed.',
    );
  });

  it('computes the share of derivations done', () => {
    assert.equal(progressPercent({ done: 1, expected: 4 }), 25);
    assert.equal(progressPercent({ done: 5, expected: 4 }), 100);
    assert.equal(progressPercent({ done: 0, expected: 0 }), null);
  });
});
