import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogModel } from '../../../src/web/client/log-model.js';
import { styleToCss } from '../../../src/web/client/ansi.js';

describe('LogModel', () => {
  it('keeps lines in order, ignoring replays of lines it has (a reconnect)', () => {
    const log = new LogModel();
    assert.equal(log.append(1, 'one'), true);
    assert.equal(log.append(2, 'two', 'kiln'), true);
    assert.equal(log.append(2, 'two again'), false);
    assert.equal(log.append(1, 'one again'), false);
    assert.deepEqual(log.texts, ['one', 'two']);
    assert.deepEqual(log.streams, ['build', 'kiln']);
    assert.equal(log.lastSeq, 2);
  });

  it('keeps the plain text for search and carries colours over line ends', () => {
    const log = new LogModel();
    log.append(1, '\x1b[31merror: red');
    log.append(2, 'still red\x1b[0m');
    log.append(3, 'plain');
    assert.deepEqual(log.plain, ['error: red', 'still red', 'plain']);
    const classes = (i: number): string[] =>
      log.segments(i).map((s) => styleToCss(s.style).classes.join(' '));
    assert.deepEqual(classes(1), ['ansi-fg-1']);
    assert.deepEqual(classes(2), ['']);
    assert.deepEqual(log.segments(5), []);
  });

  it('notes the stdenv phases it sees with their line numbers', () => {
    const log = new LogModel();
    log.append(1, 'Running phase: unpackPhase');
    log.append(2, 'unpacking source archive');
    log.append(3, '\x1b[1mRunning phase: buildPhase\x1b[0m');
    assert.deepEqual(
      log.phases.map((p) => [p.phase, p.line]),
      [
        ['unpackPhase', 1],
        ['buildPhase', 3],
      ],
    );
  });

  it('takes 100,000 lines quickly', () => {
    const log = new LogModel();
    const started = performance.now();
    for (let i = 1; i <= 100_000; i++) log.append(i, i % 10 === 0 ? `\x1b[32mline ${i}\x1b[0m` : `line ${i}`);
    assert.equal(log.length, 100_000);
    assert.equal(log.plain[99_999], 'line 100000');
    assert.ok(performance.now() - started < 2000);
  });
});
