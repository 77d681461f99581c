import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BuildView, ProjectView } from '../../src/api/index.js';
import { makeRepo } from '../helpers/git-repos.js';
import { startTestApp, type TestApp } from '../helpers/kiln-app.js';
import { nonce, waitFor } from '../helpers/nix.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

type Forge = 'github' | 'gitlab' | 'gitea';

function flake(tag: string): string {
  return `{
  outputs = { self }: let
    mk = name: script: derivation {
      inherit name; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" script ];
    };
    hello = mk "hello" "echo hello > $out";
  in {
    packages.x86_64-linux = { inherit hello; };
    checks.x86_64-linux.greets = mk "greets" "grep hello \${hello} > $out";
  };
}
`;
}

/** A forge's real payload (test/fixtures/forge-payloads) pointed at our branch and commit. */
function payload(forge: Forge, ref: string, sha: string, kind: 'push' | 'tag-push' = 'push'): Buffer {
  const file = join(repoRoot, 'test', 'fixtures', 'forge-payloads', `${forge}-${kind}.json`);
  const body = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  body['ref'] = ref;
  body['after'] = sha;
  if (forge === 'gitlab') body['checkout_sha'] = sha;
  return Buffer.from(JSON.stringify(body));
}

/** The headers the forge sends, signed with `secret` as each forge signs. */
function headers(forge: Forge, body: Buffer, secret: string, delivery: string): Record<string, string> {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  const common = { 'content-type': 'application/json' };
  switch (forge) {
    case 'github':
      return {
        ...common,
        'x-github-event': 'push',
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${hex}`,
      };
    case 'gitlab':
      return {
        ...common,
        'x-gitlab-event': body.includes('"object_kind":"tag_push"') ? 'Tag Push Hook' : 'Push Hook',
        'x-gitlab-event-uuid': delivery,
        'x-gitlab-token': secret,
      };
    case 'gitea':
      return { ...common, 'x-gitea-event': 'push', 'x-gitea-delivery': delivery, 'x-gitea-signature': hex };
  }
}

async function post(app: TestApp, forge: Forge, body: Buffer, secret: string, delivery = randomUUID()) {
  return app.app.inject({
    method: 'POST',
    url: '/api/v1/hooks/projects/web',
    headers: headers(forge, body, secret, delivery),
    payload: body,
  });
}

async function projectBuilds(app: TestApp): Promise<BuildView[]> {
  const response = await app.app.inject({ url: '/api/v1/builds?projectId=web&limit=200', headers: app.auth });
  return response.json<{ builds: BuildView[] }>().builds;
}

describe('projects: forge push webhooks start runs (real kiln, Nix, git)', { timeout: 300_000 }, () => {
  it('verifies, filters, de-duplicates and builds; a burst leaves one run in progress and one pending', async (t) => {
    const app = await startTestApp(t, { git: { allowLocal: true }, builds: { concurrency: 2 } });
    const repo = join(tempDir(t, 'kiln-e2e-project-'), 'repo');
    const [sha] = makeRepo(repo, [
      {
        subject: 'A flake',
        author: 'Ada Lovelace',
        email: 'ada@example.org',
        date: '2024-03-01T10:00:00+00:00',
        files: { 'flake.nix': flake(nonce()) },
      },
    ]);
    assert.ok(sha);
    const created = await app.app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: app.auth,
      payload: { name: 'web', repoUrl: `file://${repo}`, branches: ['main', 'release/*'], tags: ['v*'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { project, webhookSecret } = created.json<{ project: ProjectView; webhookSecret: string }>();
    assert.match(webhookSecret, /^[0-9a-f]{64}$/);
    assert.equal(project.webhookPath, '/api/v1/hooks/projects/web');
    assert.equal(project.hasWebhookSecret, true);
    assert.ok(!JSON.stringify(project).includes(webhookSecret), 'the secret is never shown again');

    await t.test('a bad signature is 401 and queues nothing', async () => {
      for (const forge of ['github', 'gitlab', 'gitea'] as const) {
        const response = await post(app, forge, payload(forge, 'refs/heads/main', sha), 'not-the-secret');
        assert.equal(response.statusCode, 401, `${forge}: ${response.body}`);
      }
      assert.deepEqual(await projectBuilds(app), []);
    });

    await t.test('a push to a branch the project does not build is ignored', async () => {
      const response = await post(
        app,
        'github',
        payload('github', 'refs/heads/experiment', sha),
        webhookSecret,
      );
      assert.equal(response.statusCode, 202);
      assert.match(
        response.json<{ ignored: string }>().ignored,
        /experiment does not match main, release\/\*/,
      );
      assert.deepEqual(await projectBuilds(app), []);
    });

    await t.test('a GitHub push builds every output of the flake at the pushed commit', async () => {
      const delivery = randomUUID();
      const response = await post(
        app,
        'github',
        payload('github', 'refs/heads/main', sha),
        webhookSecret,
        delivery,
      );
      assert.equal(response.statusCode, 202, response.body);
      const [run] = response.json<{ builds: BuildView[] }>().builds;
      assert.ok(run);
      assert.equal(run.projectId, 'web');
      assert.deepEqual(run.trigger, {
        kind: 'push',
        actor: 'McFoggy',
        forge: 'github',
        deliveryId: delivery,
      });
      assert.equal(run.commit?.sha, sha);
      assert.equal(run.commit?.branch, 'main');
      assert.equal(run.concurrencyKey, 'web/main');
      const group = await waitFor(
        async () => {
          const builds = (await projectBuilds(app)).filter((b) => b.groupId === run.id);
          const done = builds.length === 3 && builds.every((b) => b.finishedAt !== null);
          return done ? builds : undefined;
        },
        { timeoutMs: 180_000, what: 'the run to finish' },
      );
      const byAttr = Object.fromEntries(group.map((b) => [b.attrPath ?? 'evaluation', b.status]));
      assert.deepEqual(byAttr, {
        evaluation: 'succeeded',
        'packages.x86_64-linux.hello': 'succeeded',
        'checks.x86_64-linux.greets': 'succeeded',
      });
      for (const build of group) assert.equal(build.commit?.sha, sha);
      const view = (await app.app.inject({ url: `/api/v1/groups/${run.id}`, headers: app.auth })).json<{
        status: string;
        finished: boolean;
        counts: Record<string, number>;
        builds: BuildView[];
      }>();
      assert.equal(view.status, 'succeeded');
      assert.equal(view.finished, true);
      assert.deepEqual(view.counts, { succeeded: 3 });
      assert.equal(view.builds[0]?.id, run.id, 'the evaluation build comes first');

      const replay = await post(
        app,
        'github',
        payload('github', 'refs/heads/main', sha),
        webhookSecret,
        delivery,
      );
      assert.equal(replay.statusCode, 200);
      assert.deepEqual(replay.json(), { duplicate: true });
      assert.equal((await projectBuilds(app)).length, 3, 'a replay queues nothing');
    });

    await t.test('GitLab and Gitea pushes are read and queued too', async () => {
      for (const forge of ['gitlab', 'gitea'] as const) {
        const response = await post(app, forge, payload(forge, 'refs/heads/release/1.0', sha), webhookSecret);
        assert.equal(response.statusCode, 202, `${forge}: ${response.body}`);
        const [run] = response.json<{ builds: BuildView[] }>().builds;
        assert.equal(run?.trigger?.forge, forge);
        assert.equal(run?.commit?.branch, 'release/1.0');
        assert.equal(run?.concurrencyKey, 'web/release/1.0');
      }
    });

    await t.test('a tag push builds when the tag matches the project tags', async () => {
      const tagged = await post(
        app,
        'github',
        payload('github', 'refs/tags/v2.0', sha, 'tag-push'),
        webhookSecret,
      );
      assert.equal(tagged.statusCode, 202, tagged.body);
      const [run] = tagged.json<{ builds: BuildView[] }>().builds;
      assert.equal(run?.trigger?.kind, 'tag');
      assert.equal(run?.source.ref, 'v2.0');
      assert.equal(run?.commit?.branch, null);
      assert.equal(run?.concurrencyKey, 'web/v2.0');
      const other = await post(
        app,
        'gitlab',
        payload('gitlab', 'refs/tags/nightly', sha, 'tag-push'),
        webhookSecret,
      );
      assert.equal(other.statusCode, 202);
      assert.match(other.json<{ ignored: string }>().ignored, /tag nightly does not match v\*/);
    });

    await t.test(
      'a burst of 20 pushes to one branch leaves one run in progress and at most one pending',
      async () => {
        const before = new Set((await projectBuilds(app)).map((b) => b.id));
        const responses = await Promise.all(
          Array.from({ length: 20 }, () =>
            post(app, 'github', payload('github', 'refs/heads/release/2', sha), webhookSecret),
          ),
        );
        assert.deepEqual(new Set(responses.map((r) => r.statusCode)), new Set([202]));
        const runs = (await projectBuilds(app)).filter((b) => !before.has(b.id) && b.groupId === b.id);
        assert.equal(runs.length, 20);
        const count = (status: string): number => runs.filter((r) => r.status === status).length;
        const started = runs.length - count('pending') - count('superseded');
        assert.ok(started <= 1, `runs started: ${started}`);
        assert.ok(count('pending') <= 1, `runs pending: ${count('pending')}`);
        assert.ok(started + count('pending') >= 1, 'the newest push is kept');
        assert.equal(count('superseded'), 20 - started - count('pending'));
        // Cancelling a run cancels every unfinished build of it, children included.
        for (const run of runs.filter((r) => r.status === 'pending' || r.status === 'running')) {
          const response = await app.app.inject({
            method: 'POST',
            url: `/api/v1/groups/${run.id}/cancel`,
            headers: app.auth,
          });
          assert.equal(response.statusCode, 200, response.body);
        }
        await waitFor(
          async () => {
            const all = await projectBuilds(app);
            const left = all.filter(
              (b) => !before.has(b.id) && (b.status === 'pending' || b.status === 'running'),
            );
            return left.length === 0 ? true : undefined;
          },
          { timeoutMs: 60_000, what: 'the cancelled runs to end' },
        );
      },
    );
  });
});
