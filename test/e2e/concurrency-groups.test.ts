import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildView } from '../../src/api/index.js';
import { finishedBuild, startTestApp, type TestApp } from '../helpers/kiln-app.js';
import { drvExpr, processWithArgExists, waitFor } from '../helpers/nix.js';

type Concurrency = { group: string; cancelInProgress?: boolean; queue?: boolean };

async function submit(app: TestApp, script: string, concurrency: Concurrency): Promise<BuildView> {
  const response = await app.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: app.auth,
    payload: { source: { kind: 'expr', expression: drvExpr(script) }, concurrency },
  });
  assert.equal(response.statusCode, 201, response.body);
  const [build] = response.json<{ builds: BuildView[] }>().builds;
  assert.ok(build);
  return build;
}

async function view(app: TestApp, id: string): Promise<BuildView> {
  return (await app.app.inject({ url: `/api/v1/builds/${id}`, headers: app.auth })).json<BuildView>();
}

function reachesStatus(app: TestApp, id: string, status: string): Promise<BuildView> {
  return waitFor(
    async () => {
      const build = await view(app, id);
      return build.status === status ? build : undefined;
    },
    { timeoutMs: 60_000, what: `build ${id} to be ${status}` },
  );
}

const LONG = 'echo started; sleep 120; echo done > $out';

void describe('concurrency groups (GitHub Actions semantics)', { timeout: 240_000 }, () => {
  it('a burst leaves one running and one pending; the pending one runs next; other groups run alongside', async (t) => {
    const app = await startTestApp(t, { builds: { concurrency: 3 } });
    const running = await submit(app, LONG, { group: 'web/main' });
    await reachesStatus(app, running.id, 'running');
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => submit(app, `echo burst ${i} > $out`, { group: 'WEB/main' })),
    );
    const other = await submit(app, 'echo other branch > $out', { group: 'web/feature' });
    const statuses = await Promise.all(burst.map(async (b) => (await view(app, b.id)).status));
    assert.equal(statuses.filter((s) => s === 'pending').length, 1, `statuses: ${statuses.join(', ')}`);
    assert.equal(statuses.filter((s) => s === 'superseded').length, 9);
    const superseded = await view(app, burst[statuses.indexOf('superseded')]?.id ?? '');
    assert.match(superseded.error ?? '', /superseded by a newer run of concurrency group web\/main/);
    assert.equal(superseded.concurrencyKey, 'web/main', 'group keys are case-insensitive');
    // The other branch is not held up by the running build.
    assert.equal((await finishedBuild(app, other.id)).status, 'succeeded');
    assert.equal((await view(app, running.id)).status, 'running');
    const pending = burst[statuses.indexOf('pending')];
    assert.ok(pending);
    assert.equal((await view(app, pending.id)).status, 'pending', 'waits while the group is busy');
    // The running one ends: the pending one runs next and finishes.
    await app.app.inject({ method: 'POST', url: `/api/v1/builds/${running.id}/cancel`, headers: app.auth });
    assert.equal((await finishedBuild(app, pending.id)).status, 'succeeded');
  });

  it('cancel-in-progress stops the running build and its Nix process', async (t) => {
    const app = await startTestApp(t);
    const marker = `cancel-in-progress-${Date.now()}`;
    const first = await submit(app, `echo ${marker}; ${LONG}`, { group: 'deploy', cancelInProgress: true });
    await reachesStatus(app, first.id, 'running');
    await waitFor(async () => ((await processWithArgExists(marker)) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the first build to start Nix',
    });
    const second = await submit(app, 'echo second > $out', { group: 'deploy', cancelInProgress: true });
    const cancelled = await reachesStatus(app, first.id, 'cancelled');
    assert.equal(cancelled.reason, 'cancel-in-progress');
    assert.match(cancelled.error ?? '', /a newer run of concurrency group deploy started/);
    await waitFor(async () => ((await processWithArgExists(marker)) ? undefined : true), {
      timeoutMs: 30_000,
      what: 'the cancelled build to stop Nix',
    });
    assert.equal((await finishedBuild(app, second.id)).status, 'succeeded');
  });

  it('queue mode keeps every pending run and runs them one at a time, in order', async (t) => {
    const app = await startTestApp(t, { builds: { concurrency: 3 } });
    const runs: BuildView[] = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await submit(app, `sleep 1; echo queued ${i} > $out`, { group: 'release', queue: true }));
    }
    const finished = await Promise.all(runs.map((r) => finishedBuild(app, r.id)));
    assert.deepEqual(
      finished.map((b) => b.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    for (let i = 1; i < finished.length; i++) {
      const previous = finished[i - 1];
      const current = finished[i];
      assert.ok(previous?.finishedAt && current?.startedAt);
      assert.ok(
        Date.parse(current.startedAt) >= Date.parse(previous.finishedAt),
        `run ${i} started before run ${i - 1} finished`,
      );
    }
  });

  it('refuses a queued group that would also cancel in progress', async (t) => {
    const app = await startTestApp(t);
    const response = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: {
        source: { kind: 'expr', expression: drvExpr('echo > $out') },
        concurrency: { group: 'x', queue: true, cancelInProgress: true },
      },
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /cannot also cancel the run in progress/);
    const list = (await app.app.inject({ url: '/api/v1/builds', headers: app.auth })).json<{
      builds: unknown[];
    }>();
    assert.equal(list.builds.length, 0);
  });
});
