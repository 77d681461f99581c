import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { LogFanout, type FollowSource, type FollowerSink } from '../../../src/api/log-fanout.js';
import { BuildEvents } from '../../../src/builds/index.js';
import { SseParser } from '../../../src/cli/sse.js';
import type { LogLine } from '../../../src/persistence/index.js';
import { waitFor } from '../../helpers/nix.js';

interface FakeBuild {
  id: string;
  status: string;
}

/** An in-memory log store with the store's contract: lines after a seq, in order, at most `limit`. */
class MemoryLogs {
  readonly events = new BuildEvents();
  readonly lines = new Map<string, LogLine[]>();
  readonly status = new Map<string, string>();
  reads = 0;
  subscribed = 0;
  missing = false;

  start(id: string): void {
    this.lines.set(id, []);
    this.status.set(id, 'running');
  }

  /** Appends `count` lines; with `hint`, emits the `log` event as the log sink does after a commit. */
  append(id: string, count: number, hint = true): void {
    const log = this.lines.get(id)!;
    for (let i = 0; i < count; i++) {
      const seq = log.length + 1;
      log.push({ seq, ts: Date.now(), stream: 'stdout', text: `${id} line ${seq}` });
    }
    if (hint) this.events.emit({ type: 'log', buildId: id });
  }

  finish(id: string): void {
    this.status.set(id, 'succeeded');
    this.events.emit({ type: 'status', buildId: id, status: 'succeeded' });
  }

  source(): FollowSource<FakeBuild> {
    return {
      get: (id) =>
        this.missing
          ? Promise.reject(new Error(`no build with id ${id}`))
          : Promise.resolve({ id, status: this.status.get(id)! }),
      readLog: (id, after, limit) => {
        this.reads++;
        return Promise.resolve({
          lines: this.lines
            .get(id)!
            .filter((l) => l.seq > after)
            .slice(0, limit),
        });
      },
      subscribe: (id, listener) => {
        this.subscribed++;
        const off = this.events.subscribe(id, listener);
        return () => {
          this.subscribed--;
          off();
        };
      },
      status: (build) => build.status,
      terminal: (build) => build.status === 'succeeded',
      view: (build) => build,
    };
  }
}

/** A client: parses what it is sent; `full` makes writes report a full buffer until `drain()`. */
class Client implements FollowerSink {
  readonly parser = new SseParser();
  readonly seqs: number[] = [];
  readonly statuses: string[] = [];
  ended = false;
  endEvent = false;
  full = false;
  #drain: (() => void) | undefined;

  write(chunk: string): boolean {
    for (const m of this.parser.push(chunk)) {
      if (m.type !== 'event') continue;
      if (m.event === 'line') this.seqs.push((JSON.parse(m.data) as { seq: number }).seq);
      if (m.event === 'status') this.statuses.push((JSON.parse(m.data) as FakeBuild).status);
      if (m.event === 'end') this.endEvent = true;
    }
    return !this.full;
  }

  onDrain(listener: () => void): void {
    this.#drain = listener;
  }

  end(): void {
    this.ended = true;
  }

  drain(): void {
    this.full = false;
    const listener = this.#drain;
    this.#drain = undefined;
    listener?.();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A fan-out closed after the test, so that a failed test does not leave its loops running. */
function fanoutOver(
  t: TestContext,
  logs: MemoryLogs,
  errors: unknown[] = [],
  pollMs = 1000,
): LogFanout<FakeBuild> {
  const fanout = new LogFanout(logs.source(), {
    pollMs,
    keepAliveMs: 60_000,
    onError: (e) => errors.push(e),
  });
  t.after(() => fanout.close());
  return fanout;
}

/** Waits until `probe` holds, checking often (nothing here waits on real I/O). */
async function until(probe: () => unknown, options: { what: string }): Promise<void> {
  await waitFor(() => Promise.resolve(probe() ? true : undefined), { ...options, intervalMs: 5 });
}

const ended = (clients: readonly Client[]) => () => clients.every((c) => c.ended);

describe('live log fan-out', () => {
  it('sends every line once, in order, to followers that joined at different moments, then end', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    const fanout = fanoutOver(t, logs);
    const early = Array.from({ length: 5 }, () => new Client());
    for (const c of early) fanout.follow('b1', c, { afterSeq: 0, status: 'running' });
    logs.append('b1', 3);
    await until(() => early.every((c) => c.seqs.length === 3), { what: 'first lines' });
    const late = new Client();
    fanout.follow('b1', late, { afterSeq: 0, status: 'running' });
    const resumed = new Client();
    fanout.follow('b1', resumed, { afterSeq: 2, status: 'running' });
    for (let i = 0; i < 20; i++) {
      logs.append('b1', 1 + (i % 7));
      await new Promise((r) => setImmediate(r));
    }
    logs.finish('b1');
    const all = [...early, late, resumed];
    await until(ended(all), { what: 'every follower to end' });
    const total = logs.lines.get('b1')!.length;
    for (const c of [...early, late]) assert.deepEqual(c.seqs, range(1, total));
    assert.deepEqual(resumed.seqs, range(3, total));
    for (const c of all) {
      assert.ok(c.endEvent, 'the end event is sent');
      assert.deepEqual(c.statuses, ['succeeded'], 'the change of status is sent once');
    }
    assert.deepEqual(fanout.size(), { builds: 0, followers: 0 });
  });

  it('catches a follower up on a long history page by page while lines keep coming', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    logs.append('b1', 4500);
    const fanout = fanoutOver(t, logs);
    const live = new Client();
    fanout.follow('b1', live, { afterSeq: 4500, status: 'running' });
    logs.append('b1', 5);
    await until(() => live.seqs.length === 5, { what: 'live lines' });
    const late = new Client();
    fanout.follow('b1', late, { afterSeq: 0, status: 'running' });
    for (let i = 0; i < 10; i++) {
      logs.append('b1', 3);
      await new Promise((r) => setImmediate(r));
    }
    logs.finish('b1');
    await until(ended([live, late]), { what: 'both to end' });
    assert.deepEqual(late.seqs, range(1, 4535));
    assert.deepEqual(live.seqs, range(4501, 4535));
  });

  it('sends a follower that resumes ahead of the others only the lines after its position', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    logs.append('b1', 10);
    const fanout = fanoutOver(t, logs);
    const fromStart = new Client();
    const resumed = new Client();
    fanout.follow('b1', fromStart, { afterSeq: 0, status: 'running' });
    fanout.follow('b1', resumed, { afterSeq: 6, status: 'running' });
    logs.finish('b1');
    await until(ended([fromStart, resumed]), { what: 'both to end' });
    assert.deepEqual(fromStart.seqs, range(1, 10));
    assert.deepEqual(resumed.seqs, range(7, 10));
  });

  it('reads the store once per change for all followers, not once per follower', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    const fanout = fanoutOver(t, logs);
    const clients = Array.from({ length: 50 }, () => new Client());
    for (const c of clients) fanout.follow('b1', c, { afterSeq: 0, status: 'running' });
    await new Promise((r) => setTimeout(r, 20));
    const before = logs.reads;
    logs.append('b1', 10);
    await until(() => clients.every((c) => c.seqs.length === 10), { what: 'the lines' });
    assert.ok(logs.reads - before <= 3, `${logs.reads - before} reads for one change`);
    logs.finish('b1');
    await until(ended(clients), { what: 'the end' });
  });

  it('finds lines that came without an event hint by polling the store', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    const fanout = fanoutOver(t, logs, [], 20);
    const client = new Client();
    fanout.follow('b1', client, { afterSeq: 0, status: 'running' });
    logs.append('b1', 4, false);
    await until(() => client.seqs.length === 4, { what: 'polled lines' });
    logs.status.set('b1', 'succeeded'); // no event either
    await until(ended([client]), { what: 'the end, found by polling' });
    assert.deepEqual(client.seqs, [1, 2, 3, 4]);
  });

  it('keeps the others live while one follower cannot take more, then catches that one up', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    const fanout = fanoutOver(t, logs);
    const slow = new Client();
    const fast = new Client();
    fanout.follow('b1', slow, { afterSeq: 0, status: 'running' });
    fanout.follow('b1', fast, { afterSeq: 0, status: 'running' });
    logs.append('b1', 2);
    await until(() => slow.seqs.length === 2, { what: 'first lines' });
    slow.full = true;
    logs.append('b1', 1); // accepted into the full buffer: the slow client is paused after it
    await until(() => fast.seqs.length === 3, { what: 'the third line' });
    for (let i = 0; i < 5; i++) {
      logs.append('b1', 100);
      await until(() => fast.seqs.length === 3 + 100 * (i + 1), { what: 'fast follower' });
    }
    logs.finish('b1');
    await until(ended([fast]), { what: 'the fast follower to end' });
    assert.equal(slow.seqs.length, 3, 'nothing is queued for a client whose buffer is full');
    assert.equal(slow.ended, false);
    slow.drain();
    await until(ended([slow]), { what: 'the slow follower to catch up and end' });
    assert.deepEqual(slow.seqs, range(1, 503));
    assert.deepEqual(fast.seqs, range(1, 503));
    assert.ok(slow.endEvent);
  });

  it('frees a build when its last follower leaves, and keeps it while others follow', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    logs.start('b2');
    const fanout = fanoutOver(t, logs);
    const leaveA = fanout.follow('b1', new Client(), { afterSeq: 0, status: 'running' });
    const leaveB = fanout.follow('b1', new Client(), { afterSeq: 0, status: 'running' });
    const leaveC = fanout.follow('b2', new Client(), { afterSeq: 0, status: 'running' });
    assert.deepEqual(fanout.size(), { builds: 2, followers: 3 });
    assert.equal(logs.subscribed, 2, 'one event subscription per build');
    leaveA();
    assert.deepEqual(fanout.size(), { builds: 2, followers: 2 });
    leaveB();
    leaveC();
    await until(() => logs.subscribed === 0, { what: 'subscriptions to go' });
    assert.deepEqual(fanout.size(), { builds: 0, followers: 0 });
  });

  it('ends the streams and reports the error when the store fails', async (t) => {
    const logs = new MemoryLogs();
    logs.start('b1');
    const errors: unknown[] = [];
    const fanout = fanoutOver(t, logs, errors, 20);
    const client = new Client();
    fanout.follow('b1', client, { afterSeq: 0, status: 'running' });
    logs.missing = true;
    await until(ended([client]), { what: 'the stream to end' });
    assert.equal(client.endEvent, false, 'no end event: the build did not finish');
    assert.match(String(errors[0]), /no build with id b1/);
    assert.deepEqual(fanout.size(), { builds: 0, followers: 0 });
  });
});
