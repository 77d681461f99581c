import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { NewWorker } from '../../src/persistence/types.js';
import type { StoreTest } from './harness.js';

function worker(overrides: Partial<NewWorker> = {}): NewWorker {
  return {
    id: `node-a:${Math.random().toString(16).slice(2, 14)}`,
    node: 'node-a',
    host: 'host-a.example',
    pid: 4242,
    role: 'worker',
    systems: ['x86_64-linux', 'i686-linux'],
    features: ['kvm', 'big-parallel'],
    slots: 4,
    nixStore: '/nix/store',
    version: '0.1.0',
    startedAt: 10_000,
    ...overrides,
  };
}

const TIMEOUT = 30_000;

export function workerRegistryTests(storeTest: StoreTest): void {
  void describe('worker registry', () => {
    storeTest('register then list and get return every field, idle and alive', async ({ store }) => {
      const a = worker();
      await store.workers.register(a, 11_000);
      const expected = { ...a, load: 0, lastSeenAt: 11_000, alive: true };
      assert.deepEqual(await store.workers.list(12_000, TIMEOUT), [expected]);
      assert.deepEqual(await store.workers.get(a.id, 12_000, TIMEOUT), expected);
      assert.equal(await store.workers.get('node-a:unknown', 12_000, TIMEOUT), undefined);
    });

    storeTest(
      'heartbeats record the load and keep a worker alive; silence makes it dead',
      async ({ store }) => {
        const a = worker();
        await store.workers.register(a, 1_000);
        assert.equal(await store.workers.heartbeat(a.id, 3, 20_000), true);
        let [listed] = await store.workers.list(20_000 + TIMEOUT, TIMEOUT);
        assert.equal(listed?.load, 3);
        assert.equal(listed?.lastSeenAt, 20_000);
        assert.equal(listed?.alive, true, 'exactly the timeout after the last heartbeat is still alive');
        [listed] = await store.workers.list(20_001 + TIMEOUT, TIMEOUT);
        assert.equal(listed?.alive, false);
        assert.equal((await store.workers.get(a.id, 20_001 + TIMEOUT, TIMEOUT))?.alive, false);
        assert.equal(await store.workers.heartbeat('node-a:never-registered', 1, 20_000), false);
      },
    );

    storeTest('registering the same id again replaces it and resets the load', async ({ store }) => {
      const a = worker({ slots: 2 });
      await store.workers.register(a, 1_000);
      await store.workers.heartbeat(a.id, 2, 2_000);
      const again = { ...a, slots: 8, systems: ['aarch64-linux'], features: [], startedAt: 5_000, pid: 7 };
      await store.workers.register(again, 5_000);
      assert.deepEqual(await store.workers.list(5_000, TIMEOUT), [
        { ...again, load: 0, lastSeenAt: 5_000, alive: true },
      ]);
    });

    storeTest('list orders by node, then start time, then id', async ({ store }) => {
      const b2 = worker({ id: 'node-b:2', node: 'node-b', startedAt: 2 });
      const a9 = worker({ id: 'node-a:9', node: 'node-a', startedAt: 9 });
      const b1 = worker({ id: 'node-b:1', node: 'node-b', startedAt: 1 });
      const a9b = worker({ id: 'node-a:8', node: 'node-a', startedAt: 9 });
      for (const w of [b2, a9, b1, a9b]) await store.workers.register(w, 100);
      const listed = await store.workers.list(100, TIMEOUT);
      assert.deepEqual(
        listed.map((w) => w.id),
        ['node-a:8', 'node-a:9', 'node-b:1', 'node-b:2'],
      );
    });

    storeTest('deregister removes a worker once', async ({ store }) => {
      const a = worker();
      const b = worker();
      await store.workers.register(a, 1_000);
      await store.workers.register(b, 1_000);
      assert.equal(await store.workers.deregister(a.id), true);
      assert.equal(await store.workers.deregister(a.id), false);
      assert.deepEqual(
        (await store.workers.list(1_000, TIMEOUT)).map((w) => w.id),
        [b.id],
      );
    });

    storeTest('prune removes only workers last seen before the cut-off', async ({ store }) => {
      const old = worker({ id: 'node-a:old' });
      const recent = worker({ id: 'node-a:recent' });
      await store.workers.register(old, 1_000);
      await store.workers.register(recent, 1_000);
      await store.workers.heartbeat(recent.id, 0, 9_000);
      assert.equal(await store.workers.prune(9_000), 1);
      assert.deepEqual(
        (await store.workers.list(9_000, TIMEOUT)).map((w) => w.id),
        [recent.id],
      );
    });

    storeTest('a second store on the same database sees the registry', async ({ store, open }) => {
      const a = worker();
      await store.workers.register(a, 1_000);
      const other = await open();
      await other.workers.heartbeat(a.id, 1, 2_000);
      assert.equal((await store.workers.get(a.id, 2_000, TIMEOUT))?.load, 1);
    });
  });
}
