import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import type { BuildRecord, BuildStatus, ProjectRecord } from '../../../src/persistence/index.js';
import { RunNotifier, type NotifySecrets } from '../../../src/notifications/index.js';
import { verifySignature } from '../../../src/webhooks/index.js';
import { buildRecord, COMMIT_SHA, projectRecord } from '../../unit/notifications/build-records.js';

interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP server on loopback that records every request; `answer(n)` gives the n-th status. */
async function recorder(t: TestContext, answer: (n: number) => number = () => 201) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const status = answer(requests.length);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(
        status >= 400 ? JSON.stringify({ message: status === 401 ? 'Bad credentials' : 'boom' }) : '{}',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const SECRETS = { notifySecret: 'hook-secret', statusToken: 'ghp_TOPSECRETTOKEN' };
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

/** The builds a store would hold, changed by the test as a worker would change them. */
function fakeStore(builds: BuildRecord[]) {
  const byId = new Map(builds.map((build) => [build.id, build]));
  return {
    set(id: string, status: BuildStatus, extra: Partial<BuildRecord> = {}): BuildRecord {
      const terminal = !['pending', 'running'].includes(status);
      const current = byId.get(id)!;
      const next: BuildRecord = {
        ...current,
        status,
        startedAt: current.startedAt ?? (status === 'pending' ? null : 1_000),
        finishedAt: terminal ? 5_000 : null,
        ...extra,
      };
      byId.set(id, next);
      return next;
    },
    /** Reads with a little jitter, as a database under load would. */
    async list(runId: string): Promise<BuildRecord[]> {
      await sleep(Math.floor(Math.random() * 5));
      return [...byId.values()].filter((build) => build.id === runId || build.groupId === runId);
    },
  };
}

function notifierFor(
  project: ProjectRecord,
  store: ReturnType<typeof fakeStore>,
  secrets: NotifySecrets = SECRETS,
) {
  const logs: string[] = [];
  const notifier = new RunNotifier({
    getProject: (name) => (name === project.name ? project : undefined),
    listRunBuilds: (runId) => store.list(runId),
    openSecrets: () => secrets,
    publicUrl: 'https://kiln.example/',
    clock: () => Date.UTC(2024, 0, 1),
    log: (line) => logs.push(line),
    retry: fast,
  });
  return { notifier, logs };
}

const json = (request: Recorded): Record<string, unknown> =>
  JSON.parse(request.body.toString()) as Record<string, unknown>;

void describe('RunNotifier against real HTTP servers', () => {
  void it('a matrix run: pending status first, then the final status and one signed run.finished webhook', async (t) => {
    const forge = await recorder(t);
    const hook = await recorder(t, () => 204);
    const project = projectRecord({
      url: `${hook.url}/kiln?team=1`,
      commitStatus: { forge: 'github', apiUrl: `${forge.url}/api/v3` },
    });
    const store = fakeStore([
      buildRecord({ id: 'run1', status: 'pending' }),
      buildRecord({ id: 'c1', groupId: 'run1', attrPath: 'packages.x86_64-linux.hello' }),
      buildRecord({ id: 'c2', groupId: 'run1', attrPath: 'checks.x86_64-linux.test' }),
    ]);
    const { notifier, logs } = notifierFor(project, store);

    await notifier.onBuildStatus(store.set('run1', 'running'));
    await notifier.onBuildStatus(store.set('run1', 'succeeded'));
    await notifier.onBuildStatus(store.set('c1', 'running'));
    await notifier.onBuildStatus(store.set('c1', 'succeeded', { cached: true }));
    assert.equal(hook.requests.length, 0, 'no webhook while c2 is still pending');
    await notifier.onBuildStatus(
      store.set('c2', 'failed', { error: 'builder for test failed with exit code 1' }),
    );
    await notifier.idle();

    // Commit statuses: exactly two, pending then failure, for the run's context.
    assert.deepEqual(
      forge.requests.map((r) => [r.method, r.path, json(r)['state']]),
      [
        ['POST', `/api/v3/repos/acme/app/statuses/${COMMIT_SHA}`, 'pending'],
        ['POST', `/api/v3/repos/acme/app/statuses/${COMMIT_SHA}`, 'failure'],
      ],
    );
    const final = forge.requests[1]!;
    assert.equal(final.headers['authorization'], 'Bearer ghp_TOPSECRETTOKEN');
    assert.equal(final.headers['accept'], 'application/vnd.github+json');
    assert.deepEqual(json(final), {
      state: 'failure',
      target_url: 'https://kiln.example/groups/run1',
      description: '1 of 3 failed: checks.x86_64-linux.test',
      context: 'kiln/app',
    });

    // The webhook: one delivery, verifiable with the project's secret, with the run's summary.
    assert.equal(hook.requests.length, 1);
    const delivery = hook.requests[0]!;
    assert.equal(delivery.path, '/kiln?team=1');
    assert.equal(
      verifySignature('hook-secret', delivery.body, String(delivery.headers['x-kiln-signature-256'])),
      true,
    );
    assert.equal(
      verifySignature('other', delivery.body, String(delivery.headers['x-kiln-signature-256'])),
      false,
    );
    assert.equal(delivery.headers['x-kiln-event'], 'run.finished');
    assert.equal(delivery.headers['x-kiln-delivery'], 'run1.run.finished');
    assert.equal(delivery.headers['content-type'], 'application/json');
    const body = json(delivery) as {
      event: string;
      project: string;
      run: { id: string; state: string; url: string; commit: unknown; trigger: { kind: string } };
      builds: {
        total: number;
        cached: number;
        counts: Record<string, number>;
        failed: { id: string; error: string }[];
      };
    };
    assert.equal(body.event, 'run.finished');
    assert.equal(body.project, 'app');
    assert.equal(body.run.id, 'run1');
    assert.equal(body.run.state, 'failed');
    assert.equal(body.run.url, 'https://kiln.example/groups/run1');
    assert.deepEqual(body.run.commit, { sha: COMMIT_SHA, branch: 'main', subject: 'Fix the thing' });
    assert.equal(body.run.trigger.kind, 'push');
    assert.equal(body.builds.total, 3);
    assert.equal(body.builds.cached, 1);
    assert.equal(body.builds.counts['succeeded'], 2);
    assert.deepEqual(
      body.builds.failed.map((f) => [f.id, f.error]),
      [['c2', 'builder for test failed with exit code 1']],
    );

    // Later status changes of a finished run send nothing more.
    await notifier.onBuildStatus(store.set('c2', 'failed'));
    await notifier.idle();
    assert.equal(forge.requests.length, 2);
    assert.equal(hook.requests.length, 1);
    assert.ok(
      logs.some((line) => line.includes('delivered failed')),
      logs.join('\n'),
    );
    assert.ok(!logs.join('\n').includes('TOPSECRET'), 'the token never reaches the log');
    assert.ok(!logs.join('\n').includes('team=1'), 'the hook URL query is redacted in the log');
  });

  void it('retries a 500 then succeeds, for the webhook and the commit status', async (t) => {
    const forge = await recorder(t, (n) => (n === 1 ? 500 : 201));
    const hook = await recorder(t, (n) => (n === 1 ? 500 : 200));
    const project = projectRecord({
      url: `${hook.url}/h`,
      commitStatus: { forge: 'github', apiUrl: forge.url },
    });
    const store = fakeStore([buildRecord({ id: 'solo', status: 'running', startedAt: 1_000 })]);
    const { notifier, logs } = notifierFor(project, store);

    // First seen already finished: no pending status, straight to the final one.
    await notifier.onBuildStatus(store.set('solo', 'succeeded'));
    await notifier.idle();

    assert.equal(hook.requests.length, 2);
    assert.deepEqual(hook.requests[0]!.body, hook.requests[1]!.body, 'a retry sends the same signed bytes');
    assert.equal(hook.requests[0]!.headers['x-kiln-delivery'], hook.requests[1]!.headers['x-kiln-delivery']);
    assert.equal(
      verifySignature(
        'hook-secret',
        hook.requests[1]!.body,
        String(hook.requests[1]!.headers['x-kiln-signature-256']),
      ),
      true,
    );
    assert.equal(forge.requests.length, 2);
    assert.deepEqual(
      forge.requests.map((r) => json(r)['state']),
      ['success', 'success'],
    );
    assert.equal(json(forge.requests[1]!)['target_url'], 'https://kiln.example/builds/solo');
    assert.ok(
      logs.some((line) => /webhook .* attempt 1 failed \(answered 500/.test(line)),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((line) => /commit status: attempt 1 failed \(answered 500/.test(line)),
      logs.join('\n'),
    );
  });

  void it('a burst of status calls for the same run notifies exactly once', async (t) => {
    const forge = await recorder(t);
    const hook = await recorder(t, () => 200);
    const project = projectRecord({
      url: `${hook.url}/h`,
      commitStatus: { forge: 'github', apiUrl: forge.url },
    });
    const children = Array.from({ length: 20 }, (_, i) =>
      buildRecord({ id: `k${i}`, groupId: 'burst', status: 'running' }),
    );
    const store = fakeStore([buildRecord({ id: 'burst', status: 'succeeded', startedAt: 1 }), ...children]);
    const { notifier } = notifierFor(project, store);

    // Every child finishes "at once"; each change (and some duplicates) is reported concurrently.
    const finished = children.map((child) => store.set(child.id, 'succeeded'));
    await Promise.all([...finished, ...finished, ...finished].map((build) => notifier.onBuildStatus(build)));
    await notifier.idle();

    assert.equal(hook.requests.length, 1, 'one run.finished webhook');
    const states = forge.requests.map((r) => json(r)['state']);
    assert.equal(states.filter((s) => s === 'success').length, 1, `final status once: ${states.join(',')}`);
    assert.equal(states.at(-1), 'success', 'no pending status after the final one');
  });

  void it('a pending status is never overtaken by the final one on a slow forge', async (t) => {
    const hits: string[] = [];
    const slowForge = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const state = String((JSON.parse(Buffer.concat(chunks).toString()) as { state: string }).state);
        // The pending status is answered slowly; a racing final status would be recorded first.
        setTimeout(
          () => {
            hits.push(state);
            res.writeHead(201).end('{}');
          },
          state === 'pending' ? 150 : 0,
        );
      });
    });
    await new Promise<void>((resolve) => slowForge.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => slowForge.close(() => resolve())));
    const project = projectRecord(
      {
        url: null,
        commitStatus: {
          forge: 'gitea',
          apiUrl: `http://127.0.0.1:${(slowForge.address() as AddressInfo).port}/api/v1`,
        },
      },
      'git@git.example:team/svc.git',
    );
    const store = fakeStore([buildRecord({ id: 'r', status: 'pending' })]);
    const { notifier } = notifierFor(project, store);
    const first = notifier.onBuildStatus(store.set('r', 'running'));
    await sleep(20);
    await Promise.all([first, notifier.onBuildStatus(store.set('r', 'succeeded'))]);
    await notifier.idle();
    assert.deepEqual(hits, ['pending', 'success']);
  });

  void it('Gitea: token authorization, owner/repo from an ssh URL', async (t) => {
    const forge = await recorder(t);
    const project = projectRecord(
      { url: null, commitStatus: { forge: 'gitea', apiUrl: `${forge.url}/api/v1/` } },
      'ssh://git@git.example:2222/team/svc.git',
    );
    const store = fakeStore([buildRecord({ id: 'g', status: 'pending' })]);
    const { notifier } = notifierFor(project, store, { statusToken: 'gitea-tok' });
    await notifier.onBuildStatus(store.set('g', 'pending'));
    await notifier.onBuildStatus(store.set('g', 'cancelled'));
    await notifier.idle();
    assert.deepEqual(
      forge.requests.map((r) => [r.path, r.headers['authorization'], json(r)['state'], json(r)['context']]),
      [
        [`/api/v1/repos/team/svc/statuses/${COMMIT_SHA}`, 'token gitea-tok', 'pending', 'kiln/app'],
        [`/api/v1/repos/team/svc/statuses/${COMMIT_SHA}`, 'token gitea-tok', 'error', 'kiln/app'],
      ],
    );
    assert.equal(json(forge.requests[0]!)['description'], 'Queued');
    assert.equal(json(forge.requests[1]!)['description'], 'Cancelled');
  });

  void it('failures are logged, never thrown into the build path, and never show the token', async (t) => {
    const forge = await recorder(t, () => 401);
    const project = projectRecord({ url: null, commitStatus: { forge: 'github', apiUrl: forge.url } });
    const store = fakeStore([buildRecord({ id: 'x', status: 'running' })]);
    const { notifier, logs } = notifierFor(project, store);
    await notifier.onBuildStatus(store.set('x', 'failed'));
    await notifier.idle();
    assert.equal(forge.requests.length, 1, 'a 401 is not retried');
    assert.ok(
      logs.some((line) => /commit status failed: .*answered 401: Bad credentials/.test(line)),
      logs.join('\n'),
    );
    assert.ok(!logs.join('\n').includes('TOPSECRET'));

    // A nested GitLab-style URL, a missing token, a missing secret, a build without a project.
    const nested = projectRecord(
      { url: null, commitStatus: { forge: 'gitea', apiUrl: forge.url } },
      'https://git.example/a/b/c.git',
    );
    const other = notifierFor(nested, fakeStore([buildRecord({ id: 'y', status: 'succeeded' })]));
    await other.notifier.onBuildStatus(buildRecord({ id: 'y', status: 'succeeded' }));
    await other.notifier.idle();
    assert.ok(
      other.logs.some((line) => /nested groups/.test(line)),
      other.logs.join('\n'),
    );

    const hook = await recorder(t, () => 200);
    const noSecrets = notifierFor(
      projectRecord({ url: `${hook.url}/h`, commitStatus: { forge: 'github', apiUrl: forge.url } }),
      fakeStore([buildRecord({ id: 'z', status: 'succeeded' })]),
      {},
    );
    await noSecrets.notifier.onBuildStatus(buildRecord({ id: 'z', status: 'succeeded' }));
    await noSecrets.notifier.onBuildStatus(
      buildRecord({ id: 'unowned', status: 'succeeded', projectId: null }),
    );
    await noSecrets.notifier.idle();
    assert.equal(hook.requests.length, 0);
    assert.equal(forge.requests.length, 1, 'nothing more reached the forge');
    assert.ok(noSecrets.logs.some((line) => /no notify secret/.test(line)));
    assert.ok(noSecrets.logs.some((line) => /no status token/.test(line)));
  });
});
