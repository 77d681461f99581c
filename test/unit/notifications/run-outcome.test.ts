import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildStatus } from '../../../src/persistence/index.js';
import {
  forgeState,
  runFinishedEvent,
  runIdOf,
  runOutcome,
  runUrl,
  statusRequest,
  MAX_DESCRIPTION,
  type RunState,
} from '../../../src/notifications/index.js';
import { buildRecord, COMMIT_SHA } from './build-records.js';

/** A matrix run: the evaluation parent `p` and one child per status given. */
function matrix(parent: BuildStatus, children: BuildStatus[]) {
  return [
    buildRecord({ id: 'p', status: parent }),
    ...children.map((status, i) =>
      buildRecord({ id: `c${i}`, groupId: 'p', status, attrPath: `packages.x86_64-linux.pkg${i}` }),
    ),
  ];
}

const stateOf = (parent: BuildStatus, children: BuildStatus[]): RunState =>
  runOutcome(matrix(parent, children)).state;

void describe('runOutcome', () => {
  void it('a run is pending until something starts, running until every build is terminal', () => {
    assert.deepEqual(
      { ...runOutcome(matrix('pending', [])), counts: undefined },
      {
        state: 'pending',
        finished: false,
        counts: undefined,
        cachedCount: 0,
        durationMs: null,
        failedBuilds: [],
      },
    );
    assert.equal(stateOf('running', []), 'running');
    assert.equal(stateOf('succeeded', ['pending', 'pending']), 'running', 'evaluated, children queued');
    assert.equal(stateOf('succeeded', ['succeeded', 'running']), 'running');
    // A failure does not finish the run while other builds still go.
    const going = runOutcome(matrix('succeeded', ['failed', 'running']));
    assert.equal(going.finished, false);
    assert.equal(going.state, 'running');
    assert.equal(going.failedBuilds.length, 1);
    assert.equal(runOutcome([]).finished, false, 'no builds: nothing finished');
  });

  void it('a finished run: failed wins over cancelled, which wins over superseded, then succeeded', () => {
    assert.equal(stateOf('succeeded', ['succeeded', 'succeeded']), 'succeeded');
    assert.equal(stateOf('succeeded', ['succeeded', 'failed', 'cancelled']), 'failed');
    assert.equal(stateOf('succeeded', ['timed_out', 'cancelled']), 'failed', 'timed out counts as failed');
    assert.equal(
      stateOf('succeeded', ['succeeded', 'dependency_failed']),
      'failed',
      'dependency failed counts as failed',
    );
    assert.equal(stateOf('succeeded', ['succeeded', 'cancelled', 'superseded']), 'cancelled');
    assert.equal(stateOf('superseded', []), 'superseded');
    assert.equal(stateOf('failed', []), 'failed', 'the evaluation itself failed');
  });

  void it('counts every status, the cached builds and lists the failures in submission order', () => {
    const builds = matrix('succeeded', [
      'succeeded',
      'failed',
      'dependency_failed',
      'timed_out',
      'succeeded',
    ]);
    builds[1] = { ...builds[1]!, cached: true };
    builds[5] = { ...builds[5]!, cached: true };
    builds[2] = { ...builds[2]!, error: 'builder exited with code 1' };
    const outcome = runOutcome([...builds].reverse());
    assert.equal(outcome.finished, true);
    assert.deepEqual(outcome.counts, {
      pending: 0,
      running: 0,
      succeeded: 3,
      failed: 1,
      cancelled: 0,
      timed_out: 1,
      superseded: 0,
      dependency_failed: 1,
    });
    assert.equal(outcome.cachedCount, 2);
    assert.deepEqual(outcome.failedBuilds, [
      {
        id: 'c1',
        attrPath: 'packages.x86_64-linux.pkg1',
        status: 'failed',
        error: 'builder exited with code 1',
      },
      { id: 'c2', attrPath: 'packages.x86_64-linux.pkg2', status: 'dependency_failed', error: null },
      { id: 'c3', attrPath: 'packages.x86_64-linux.pkg3', status: 'timed_out', error: null },
    ]);
  });

  void it('duration: first start to last finish; a run that never started counts from its submission', () => {
    const started = runOutcome([
      buildRecord({ id: 'a', status: 'succeeded', createdAt: 500, startedAt: 1_000, finishedAt: 4_000 }),
      buildRecord({
        id: 'b',
        groupId: 'a',
        status: 'failed',
        createdAt: 600,
        startedAt: 2_000,
        finishedAt: 9_000,
      }),
    ]);
    assert.equal(started.durationMs, 8_000);
    const never = runOutcome([
      buildRecord({ id: 'a', status: 'superseded', createdAt: 100, finishedAt: 350 }),
    ]);
    assert.equal(never.durationMs, 250);
    assert.equal(runOutcome([buildRecord({ id: 'a', status: 'running', startedAt: 1 })]).durationMs, null);
  });

  void it('the run id is the group, or the build itself', () => {
    assert.equal(runIdOf({ id: 'b1', groupId: null }), 'b1');
    assert.equal(runIdOf({ id: 'c1', groupId: 'g1' }), 'g1');
  });
});

void describe('commit status mapping and requests', () => {
  void it('maps run states to forge states', () => {
    assert.deepEqual(
      (['pending', 'running', 'succeeded', 'failed', 'cancelled', 'superseded'] as const).map(forgeState),
      ['pending', 'pending', 'success', 'failure', 'error', 'error'],
    );
  });

  void it('GitHub: Bearer token, the v3 JSON media type, the documented body; the token is not in the URL', () => {
    const req = statusRequest(
      'github',
      'https://api.github.com/',
      { host: 'github.com', owner: 'acme', repo: 'app' },
      COMMIT_SHA,
      {
        state: 'failure',
        targetUrl: 'https://kiln.example/groups/g1',
        description: 'x'.repeat(300),
        context: 'kiln/app',
      },
      'ghp_SECRET',
    );
    assert.equal(req.url, `https://api.github.com/repos/acme/app/statuses/${COMMIT_SHA}`);
    assert.equal(req.headers['Authorization'], 'Bearer ghp_SECRET');
    assert.equal(req.headers['Accept'], 'application/vnd.github+json');
    const body = JSON.parse(req.body) as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['context', 'description', 'state', 'target_url']);
    assert.equal(body['state'], 'failure');
    assert.equal(body['description']!.length, MAX_DESCRIPTION);
    assert.ok(body['description']!.endsWith('…'));
    assert.ok(!req.url.includes('SECRET'));
  });

  void it('Gitea: `token` authorization under the instance API root', () => {
    const req = statusRequest(
      'gitea',
      'https://git.example/api/v1',
      { host: 'git.example', owner: 'team', repo: 'svc' },
      COMMIT_SHA,
      {
        state: 'success',
        targetUrl: 'https://kiln.example/builds/b1',
        description: 'ok',
        context: 'kiln/svc',
      },
      'gt0ken',
    );
    assert.equal(req.url, `https://git.example/api/v1/repos/team/svc/statuses/${COMMIT_SHA}`);
    assert.equal(req.headers['Authorization'], 'token gt0ken');
    assert.deepEqual(JSON.parse(req.body), {
      state: 'success',
      target_url: 'https://kiln.example/builds/b1',
      description: 'ok',
      context: 'kiln/svc',
    });
  });
});

void describe('run.finished payload', () => {
  void it('links a group page for a group and a build page for a single build', () => {
    const single = [buildRecord({ id: 'b1', status: 'succeeded' })];
    assert.equal(runUrl('https://kiln.example/', 'b1', single), 'https://kiln.example/builds/b1');
    assert.equal(
      runUrl('https://kiln.example', 'p', matrix('succeeded', ['succeeded'])),
      'https://kiln.example/groups/p',
    );
  });

  void it('carries the project, state, commit, trigger, counts and links of the run', () => {
    const builds = matrix('succeeded', ['succeeded', 'failed']);
    const event = runFinishedEvent('app', 'p', builds, runOutcome(builds), 'https://kiln.example');
    assert.equal(event.event, 'run.finished');
    assert.equal(event.project, 'app');
    assert.equal(event.run.state, 'failed');
    assert.equal(event.run.url, 'https://kiln.example/groups/p');
    assert.deepEqual(event.run.commit, { sha: COMMIT_SHA, branch: 'main', subject: 'Fix the thing' });
    assert.equal(event.run.trigger?.kind, 'push');
    assert.equal(event.builds.total, 3);
    assert.equal(event.builds.counts.failed, 1);
    assert.deepEqual(
      event.builds.failed.map((failed) => failed.url),
      ['https://kiln.example/builds/c1'],
    );
    assert.deepEqual(
      event.builds.list.map((build) => build.id),
      ['p', 'c0', 'c1'],
    );
    assert.equal(event.builds.truncated, false);
  });
});
