import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BuildEvents, recoverInterruptedBuilds } from '../../../src/builds/index.js';
import { openSqliteStore } from '../../../src/persistence/index.js';
import { newBuild } from '../../conformance/harness.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = 5_000_000;

describe('recovery: dependents of builds that did not succeed', () => {
  it('fails the dependents a stopped process left waiting, and those of builds it marks failed', async (t) => {
    const store = openSqliteStore(join(tempDir(t), 'kiln.db'));
    await store.migrate();
    t.after(() => store.close());
    const events = new BuildEvents();
    const seen: string[] = [];
    events.subscribe('*', (event) =>
      seen.push(`${event.buildId}:${event.type === 'status' ? event.status : ''}`),
    );
    // lib failed but its process stopped before failing app; orphan was running when the server died.
    const lib = newBuild({ groupId: 'g' });
    const app = newBuild({ groupId: 'g', dependsOn: [lib.id] });
    const orphan = newBuild({ groupId: 'g' });
    const test = newBuild({ groupId: 'g', dependsOn: [orphan.id] });
    const free = newBuild({ groupId: 'g' });
    await store.builds.insertRun([lib, app, orphan, test, free], null, NOW);
    await store.builds.update(lib.id, { status: 'failed', finishedAt: NOW });
    await store.builds.update(orphan.id, {
      status: 'running',
      leaseOwner: 'node:old',
      leaseExpiresAt: NOW - 1,
      startedAt: NOW,
    });
    const recovered = await recoverInterruptedBuilds({
      store,
      events,
      killOrphan: async () => {},
      owner: 'node:new',
      nodeId: 'node',
      policy: 'fail',
      maxAttempts: 3,
      logCapBytes: 1 << 20,
      clock: () => NOW + 10,
    });
    assert.equal(recovered, 3);
    const status = async (id: string) => (await store.builds.get(id))?.status;
    assert.equal(await status(orphan.id), 'failed');
    assert.equal(await status(test.id), 'dependency_failed');
    assert.equal(await status(app.id), 'dependency_failed');
    assert.equal(await status(free.id), 'pending');
    assert.ok(seen.includes(`${app.id}:dependency_failed`) && seen.includes(`${test.id}:dependency_failed`));
  });
});
