/**
 * The build-event bridge between kiln processes on one PostgreSQL database: an event emitted in
 * one process is emitted in the other (marked as heard from elsewhere), never sent back, and a
 * batch of many events becomes payloads under the NOTIFY limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BuildEvents, type BuildEvent } from '../../../src/builds/index.js';
import { bridgeBuildEvents, decode, encode } from '../../../src/main/event-bridge.js';
import { openPostgresStore, type PostgresStore } from '../../../src/persistence/postgres/store.js';
import { MAX_SIGNAL_PAYLOAD_BYTES } from '../../../src/persistence/types.js';
import { waitFor } from '../../helpers/nix.js';
import { postgresUnavailableReason, sharedPostgres } from '../../helpers/postgres.js';

const unavailable = postgresUnavailableReason();

void describe('build event payloads', () => {
  void it('coalesce log events, keep the latest progress and every status, and round-trip', () => {
    const progress = { done: 1, expected: 3, running: 1, failed: 0, phase: 'buildPhase', activeDrv: null };
    const batch: BuildEvent[] = [
      { type: 'status', buildId: 'a', status: 'running' },
      { type: 'log', buildId: 'a' },
      { type: 'log', buildId: 'a' },
      { type: 'progress', buildId: 'a', progress: { ...progress, done: 0 } },
      { type: 'progress', buildId: 'a', progress },
      { type: 'status', buildId: 'a', status: 'succeeded' },
    ];
    const payloads = encode('node-1', batch);
    assert.equal(payloads.length, 1);
    assert.deepEqual(decode('node-2', payloads[0]!), [
      { type: 'status', buildId: 'a', status: 'running' },
      { type: 'log', buildId: 'a' },
      { type: 'progress', buildId: 'a', progress },
      { type: 'status', buildId: 'a', status: 'succeeded' },
    ]);
    assert.deepEqual(decode('node-1', payloads[0]!), [], "a process's own payload is skipped");
  });

  void it('split a large batch into payloads under the NOTIFY limit, losing nothing', () => {
    const batch: BuildEvent[] = Array.from({ length: 1000 }, (_, n) => ({
      type: 'status',
      buildId: `build-${String(n).padStart(20, '0')}`,
      status: 'pending',
    }));
    const payloads = encode('node-1', batch);
    assert.ok(payloads.length > 1);
    for (const payload of payloads) assert.ok(Buffer.byteLength(payload) <= MAX_SIGNAL_PAYLOAD_BYTES);
    assert.deepEqual(
      payloads.flatMap((payload) => decode('node-2', payload)),
      batch,
    );
  });

  void it('ignore malformed payloads and unknown statuses', () => {
    assert.deepEqual(decode('x', 'not json'), []);
    assert.deepEqual(decode('x', '{"o":"y","e":[["s","a","exploded"],["l",5],["q","a"],["l","b"]]}'), [
      { type: 'log', buildId: 'b' },
    ]);
  });
});

void describe(
  `build events between processes on PostgreSQL${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { skip: unavailable ?? false },
  () => {
    const stores: PostgresStore[] = [];
    let url: string;
    before(async () => {
      url = await (await sharedPostgres()).createDatabase();
    });
    after(async () => {
      for (const store of stores) await store.close();
    });

    void it('an event of one process is emitted in the other, marked remote, and not echoed', async () => {
      const node = (origin: string) => {
        const store = openPostgresStore(url);
        stores.push(store);
        const events = new BuildEvents();
        const seen: BuildEvent[] = [];
        events.subscribe('*', (event) => seen.push(event));
        const bridge = bridgeBuildEvents({ signals: store.signals, events, origin, log: () => undefined });
        const heard: BuildEvent[] = [];
        bridge.onRemote((event) => heard.push(event));
        return { events, seen, heard, bridge };
      };
      const api = node('api');
      const worker = node('worker');

      // The LISTEN connections open in the background: emit until the API hears the worker.
      await waitFor(
        () => {
          worker.events.emit({ type: 'log', buildId: 'warm-up' });
          return Promise.resolve(api.heard.length > 0);
        },
        { what: 'the API process to hear the worker' },
      );
      worker.events.emit({ type: 'status', buildId: 'b1', status: 'running' });
      worker.events.emit({ type: 'log', buildId: 'b1' });
      await waitFor(() => Promise.resolve(api.seen.some((e) => e.type === 'log' && e.buildId === 'b1')), {
        what: "the worker's events",
      });
      const fromWorker = api.seen.filter((event) => event.buildId === 'b1');
      assert.deepEqual(fromWorker, [
        { type: 'status', buildId: 'b1', status: 'running' },
        { type: 'log', buildId: 'b1' },
      ]);
      assert.ok(fromWorker.every((event) => api.bridge.isRemote(event)));

      // The other way: a build queued on the API reaches the worker.
      api.events.emit({ type: 'status', buildId: 'b2', status: 'pending' });
      await waitFor(() => Promise.resolve(worker.heard.some((e) => e.buildId === 'b2')), {
        what: 'the worker to hear the queued build',
      });
      const queued = worker.seen.find((e) => e.buildId === 'b2');
      assert.ok(queued && worker.bridge.isRemote(queued));
      assert.ok(!api.bridge.isRemote(api.seen.find((e) => e.buildId === 'b2')!), 'local events are local');

      // Nothing came back. Each process publishes in order, so an echo of b1 (or b2) would reach
      // the worker (the API) before a later event of the same publisher does.
      worker.events.emit({ type: 'log', buildId: 'b3' });
      await waitFor(() => Promise.resolve(api.heard.some((e) => e.buildId === 'b3')), { what: 'b3' });
      api.events.emit({ type: 'log', buildId: 'b4' });
      await waitFor(() => Promise.resolve(worker.heard.some((e) => e.buildId === 'b4')), { what: 'b4' });
      assert.equal(worker.seen.filter((e) => e.buildId === 'b1').length, 2);
      assert.equal(api.seen.filter((e) => e.buildId === 'b2').length, 1);
      await api.bridge.close();
      await worker.bridge.close();
    });
  },
);
