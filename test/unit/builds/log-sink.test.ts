import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogSink } from '../../../src/builds/log-sink.js';
import type { LogLineInput, LogRepo } from '../../../src/persistence/index.js';
import { waitFor } from '../../helpers/nix.js';

/** Records each append (one transaction in the real store) as the batch of texts it carried. */
function recordingRepo(): { repo: LogRepo; batches: string[][] } {
  const batches: string[][] = [];
  const repo: LogRepo = {
    append: (_id: string, lines: readonly LogLineInput[]) => {
      batches.push(lines.map((l) => l.text));
      return Promise.resolve();
    },
    read: () => Promise.resolve([]),
    tail: () => Promise.resolve([]),
  };
  return { repo, batches };
}

describe('log sink', () => {
  // A window far longer than the test: a line committed on its own cannot have waited it out.
  const LONG = 60_000;

  it('commits a line that follows a quiet spell at once, with the lines of the same turn', async () => {
    const { repo, batches } = recordingRepo();
    let flushed = 0;
    const sink = new LogSink({
      logs: repo,
      buildId: 'b',
      capBytes: 1 << 20,
      onFlushed: () => flushed++,
      flushMs: LONG,
    });
    sink.write('stdout', 'one');
    sink.write('stdout', 'two');
    await waitFor(() => Promise.resolve(flushed === 1 ? true : undefined), { what: 'the first commit' });
    assert.deepEqual(batches, [['one', 'two']]);
    // Within the window after a commit, lines wait for the next one: one commit per window at most.
    sink.write('stdout', 'three');
    sink.write('stderr', 'four');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(batches.length, 1, 'nothing committed inside the window');
    await sink.flush();
    assert.deepEqual(batches, [
      ['one', 'two'],
      ['three', 'four'],
    ]);
    assert.equal(flushed, 2);
  });

  it('commits a full batch without waiting for the window', async () => {
    const { repo, batches } = recordingRepo();
    const sink = new LogSink({
      logs: repo,
      buildId: 'b',
      capBytes: 1 << 20,
      onFlushed: () => undefined,
      flushMs: LONG,
      maxBatch: 3,
    });
    await sink.flush(); // a commit just happened: the window is open
    for (const text of ['a', 'b', 'c', 'd']) sink.write('stdout', text);
    await waitFor(() => Promise.resolve(batches.length === 1 ? true : undefined), { what: 'the full batch' });
    assert.deepEqual(batches, [['a', 'b', 'c']]);
    await sink.flush();
    assert.deepEqual(batches, [['a', 'b', 'c'], ['d']]);
  });

  it('keeps the process alive when a background write fails, and reports it to the awaited flush', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      let attempts = 0;
      const repo: LogRepo = {
        append: () => {
          attempts += 1;
          return Promise.reject(new Error('the database is unreachable'));
        },
        read: () => Promise.resolve([]),
        tail: () => Promise.resolve([]),
      };
      const sink = new LogSink({ logs: repo, buildId: 'b', capBytes: 1 << 20, onFlushed: () => undefined });
      sink.write('stdout', 'one'); // flushed by the sink's own timer, awaited by nobody
      await waitFor(() => Promise.resolve(attempts > 0), { what: 'the background write' });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
      await assert.rejects(sink.flush(), /the database is unreachable/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
