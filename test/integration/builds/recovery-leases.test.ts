import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BuildEvents, recoverInterruptedBuilds, type OwnerState } from '../../../src/builds/index.js';
import { openSqliteStore } from '../../../src/persistence/index.js';
import { newBuild } from '../../conformance/harness.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = 9_000_000;

describe('recovery with many workers', () => {
  it('leaves a live sibling of this node alone, re-queues expired leases (lease-expired) and gives up after maxAttempts', async (t) => {
    const store = openSqliteStore(join(tempDir(t), 'kiln.db'));
    await store.migrate();
    t.after(() => store.close());
    const [sibling, lost, exhausted] = [newBuild(), newBuild(), newBuild()];
    for (const build of [sibling, lost, exhausted]) await store.builds.insert(build);
    // Claimed by a live sibling process of this node (lease still valid), and by two dead remote workers.
    await store.builds.claimNext('node-a:sibling', 60_000, NOW - 1000);
    await store.builds.claimNext('node-b:dead', 1000, NOW - 5000);
    await store.builds.claimNext('node-b:dead', 1000, NOW - 5000);
    await store.builds.update(exhausted.id, { status: 'pending' });
    await store.builds.claimNext('node-c:dead', 1000, NOW - 5000); // attempt 2 of exhausted
    const killed: number[] = [];
    await store.builds.update(lost.id, { runnerPid: 4242 });
    const states: Record<string, OwnerState> = {
      'node-a:sibling': { alive: true, local: true },
      'node-b:dead': { alive: false, local: false },
      'node-c:dead': { alive: false, local: true },
    };
    const recovered = await recoverInterruptedBuilds({
      store,
      events: new BuildEvents(),
      killOrphan: (pid) => {
        killed.push(pid);
        return Promise.resolve();
      },
      owner: 'node-a:me',
      nodeId: 'node-a',
      policy: 'requeue',
      maxAttempts: 2,
      logCapBytes: 1 << 20,
      clock: () => NOW,
      ownerState: (owner) => Promise.resolve(states[owner]!),
    });
    assert.equal(recovered, 2);
    const get = async (id: string) => (await store.builds.get(id))!;
    assert.equal((await get(sibling.id)).status, 'running', 'a live sibling keeps its build');
    assert.equal((await get(sibling.id)).leaseOwner, 'node-a:sibling');

    const requeued = await get(lost.id);
    assert.equal(requeued.status, 'pending');
    assert.equal(requeued.reason, 'lease-expired');
    assert.equal(requeued.leaseOwner, null);
    assert.deepEqual(killed, [], "a remote worker's process is not killed here");
    const [line] = await store.logs.tail(lost.id, 1);
    assert.match(
      line?.text ?? '',
      /the lease of worker node-b:dead expired during attempt 1 \(noticed by worker node-a:me\); back in the queue/,
    );

    const failed = await get(exhausted.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.reason, 'lease-expired');
    assert.match(failed.error ?? '', /node-c:dead stopped renewing its lease on attempt 2 of 2; giving up/);
  });
});
