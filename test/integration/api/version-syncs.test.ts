import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { BuildView, LogResponse, VersionSyncView } from '../../../src/api/index.js';
import { signBody } from '../../../src/webhooks/index.js';
import {
  LIB_NIX,
  packageNix,
  releaseHashes,
  startReleaseServer,
  type PackageHashes,
} from '../../helpers/bump-package.js';
import { bareClone, git, makeRepo } from '../../helpers/git-repos.js';
import { startGitHttpServer, type GitHttpServer } from '../../helpers/git-server.js';
import { finishedBuild, startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { tempDir } from '../../helpers/tmp.js';

const TOKEN = 'ghp_versionSyncTestToken0123456789';
const SECRET = 'webhook-secret-for-tests';
const RELEASES = [
  { version: '1.0.0', deps: ['alpha.txt'] },
  { version: '1.1.0', deps: ['alpha.txt', 'beta.txt'] },
];

interface Remote {
  app: TestApp;
  git: GitHttpServer;
  bare: string;
  url: string;
  old: PackageHashes;
  next: PackageHashes;
}

/**
 * A package repository at 1.0.0 (correct hashes) served over smart HTTP with a token and push
 * enabled, the release server it downloads from, and a kiln app with a sync named `hello`.
 */
async function setUp(
  t: TestContext,
  sync: Record<string, unknown> = {},
  options: { base?: string; app?: Parameters<typeof startTestApp>[1] } = {},
): Promise<Remote> {
  const releases = await startReleaseServer(t, RELEASES);
  const old = await releaseHashes(t, releases, RELEASES[0]!);
  const next = await releaseHashes(t, releases, RELEASES[1]!);
  const root = tempDir(t, 'kiln-sync-');
  const work = join(root, 'work');
  makeRepo(work, [
    {
      subject: 'Add hello 1.0.0',
      author: 'Ada Lovelace',
      email: 'ada@example.org',
      date: '2024-03-01T10:00:00+00:00',
      files: {
        'pkgs/hello/lib.nix': LIB_NIX,
        'pkgs/hello/package.nix': packageNix(options.base ?? releases.url, '1.0.0', old),
        'README.md': 'packages\n',
      },
    },
  ]);
  const projectRoot = join(root, 'served');
  mkdirSync(projectRoot);
  const bare = join(projectRoot, 'packages.git');
  bareClone(work, bare);
  git(bare, ['config', 'http.receivepack', 'true']);
  const server = await startGitHttpServer({ projectRoot, password: TOKEN });
  t.after(() => server.close());
  const app = await startTestApp(t, options.app);
  const url = `${server.url}/packages.git`;
  const created = await app.app.inject({
    method: 'POST',
    url: '/api/v1/version-syncs',
    headers: app.auth,
    payload: {
      name: 'hello',
      repository: url,
      ref: 'main',
      file: 'pkgs/hello/package.nix',
      verify: 'result/bin/hello',
      token: TOKEN,
      webhookSecret: SECRET,
      ...sync,
    },
  });
  assert.equal(created.statusCode, 201, created.body);
  return { app, git: server, bare, url, old, next };
}

function githubRelease(tag: string, action = 'published'): string {
  return JSON.stringify({
    action,
    release: {
      id: 1,
      tag_name: tag,
      name: `hello ${tag}`,
      draft: false,
      prerelease: false,
      target_commitish: 'main',
      html_url: `https://github.com/acme/hello/releases/tag/${tag}`,
    },
    repository: { id: 7, name: 'hello', full_name: 'acme/hello', default_branch: 'main' },
    sender: { login: 'ada' },
  });
}

async function postHook(
  app: TestApp,
  headers: Record<string, string>,
  body: string,
  name = 'hello',
): Promise<{ statusCode: number; json: Record<string, unknown>; body: string }> {
  const res = await app.app.inject({
    method: 'POST',
    url: `/api/v1/hooks/version-sync/${name}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });
  return { statusCode: res.statusCode, json: res.json<Record<string, unknown>>(), body: res.body };
}

async function allBuilds(app: TestApp): Promise<BuildView[]> {
  const res = await app.app.inject({ url: '/api/v1/builds?limit=500', headers: app.auth });
  return res.json<{ builds: BuildView[] }>().builds;
}

async function logText(app: TestApp, id: string): Promise<string> {
  const res = await app.app.inject({ url: `/api/v1/builds/${id}/log`, headers: app.auth });
  return res
    .json<LogResponse>()
    .lines.map((l) => l.text)
    .join('\n');
}

function remoteBranches(bare: string): string[] {
  return git(bare, ['for-each-ref', '--format=%(refname)', 'refs/heads'])
    .split('\n')
    .filter((l) => l !== '');
}

describe('version syncs', () => {
  it('a signed GitHub release bumps the package, proves the build and pushes a branch', async (t) => {
    const remote = await setUp(t);
    const { app } = remote;
    const body = githubRelease('v1.1.0');
    const delivery = randomUUID();
    const headers = {
      'x-github-event': 'release',
      'x-github-delivery': delivery,
      'x-hub-signature-256': signBody(SECRET, Buffer.from(body)),
      'user-agent': 'GitHub-Hookshot/abc',
    };

    // A wrong signature: 401, nothing queued.
    const forged = await postHook(
      app,
      { ...headers, 'x-hub-signature-256': signBody('guess', Buffer.from(body)) },
      body,
    );
    assert.equal(forged.statusCode, 401, forged.body);
    const unsigned = await postHook(
      app,
      { 'x-github-event': 'release', 'x-github-delivery': randomUUID() },
      body,
    );
    assert.equal(unsigned.statusCode, 401, unsigned.body);
    assert.deepEqual(await allBuilds(app), []);

    const accepted = await postHook(app, headers, body);
    assert.equal(accepted.statusCode, 202, accepted.body);
    const queued = (accepted.json['builds'] as BuildView[])[0]!;
    assert.deepEqual(queued.source, { kind: 'bump', sync: 'hello', version: '1.1.0', tag: 'v1.1.0' });

    // The same delivery again (GitHub's "redeliver"): answered, nothing queued.
    const replay = await postHook(app, headers, body);
    assert.equal(replay.statusCode, 200, replay.body);
    assert.deepEqual(replay.json, { duplicate: true });
    assert.equal((await allBuilds(app)).length, 1);
    // The tag's push event (another delivery) for the release being built: one run is enough.
    const tagPush = JSON.stringify({ ref: 'refs/tags/v1.1.0', created: true, after: 'a'.repeat(40) });
    const pushHeaders = {
      'x-github-event': 'push',
      'x-hub-signature-256': signBody(SECRET, Buffer.from(tagPush)),
    };
    const twin = await postHook(app, { ...pushHeaders, 'x-github-delivery': randomUUID() }, tagPush);
    assert.equal(twin.statusCode, 202, twin.body);
    assert.match(
      String(twin.json['ignored']),
      new RegExp(`queued or running already \\(build ${queued.id}\\)`),
    );
    assert.equal((await allBuilds(app)).length, 1);

    const build = await finishedBuild(app, queued.id, 300_000);
    assert.equal(build.status, 'succeeded', `${build.error ?? ''}\n${await logText(app, queued.id)}`);
    assert.deepEqual(
      build.steps?.map((s) => [s.name, s.status]),
      [
        ['clone', 'succeeded'],
        ['bump', 'succeeded'],
        ['push', 'succeeded'],
        ['closure-size', 'succeeded'],
      ],
    );

    // The remote has the branch, with the new version and both new hashes, on top of main.
    const branch = 'kiln/bump-hello-1.1.0';
    assert.ok(
      remoteBranches(remote.bare).includes(`refs/heads/${branch}`),
      remoteBranches(remote.bare).join(),
    );
    const file = git(remote.bare, ['show', `${branch}:pkgs/hello/package.nix`]);
    assert.match(file, /version = "1\.1\.0";/);
    assert.ok(file.includes(`hash = "${remote.next.src}"; # the release tarball`), file);
    assert.ok(file.includes(`vendorHash = "${remote.next.vendor}";`), file);
    assert.equal(git(remote.bare, ['rev-parse', `${branch}^`]), git(remote.bare, ['rev-parse', 'main']));
    const message = git(remote.bare, ['log', '-1', '--format=%B', branch]);
    for (const hash of [remote.old.src, remote.next.src, remote.old.vendor, remote.next.vendor]) {
      assert.ok(message.includes(hash), `the commit message names ${hash}:\n${message}`);
    }
    assert.equal(git(remote.bare, ['rev-parse', 'main']), build.commit?.sha, 'the base commit is recorded');
    // The push went through the token-protected server as receive-pack.
    assert.ok(
      remote.git.requests.some((r) => r.path.endsWith('/git-receive-pack') && r.status === 200),
      JSON.stringify(remote.git.requests),
    );

    // Evidence on the record.
    const evidence = build.bump;
    assert.ok(evidence);
    assert.equal(evidence.oldVersion, '1.0.0');
    assert.equal(evidence.newVersion, '1.1.0');
    assert.equal(evidence.branch, branch);
    assert.equal(evidence.commit, git(remote.bare, ['rev-parse', branch]));
    const byPath = new Map(evidence.hashes.map((h) => [h.path, h]));
    assert.equal(byPath.get('src.hash')?.new, remote.next.src);
    assert.equal(byPath.get('src.hash')?.old, remote.old.src);
    assert.equal(byPath.get('vendorHash')?.new, remote.next.vendor);
    assert.equal(byPath.get('vendorHash')?.old, remote.old.vendor);
    assert.ok(
      evidence.mismatches.some((m) => m.got === remote.next.vendor),
      JSON.stringify(evidence.mismatches),
    );
    assert.match(evidence.outputs[0] ?? '', /-hello-1\.1\.0$/);
    assert.deepEqual(build.outputs, evidence.outputs);
    assert.equal(evidence.verify?.command, 'result/bin/hello');
    assert.equal(evidence.verify?.exitCode, 0);
    assert.match(
      evidence.verify?.output.join('\n') ?? '',
      /hello 1\.1\.0: main 1\.1\.0, deps: alpha\.txt beta\.txt/,
    );
    assert.match(evidence.diff, /^\+ {2}version = "1\.1\.0";$/m);

    // The log has the bump's own lines; the token is nowhere to be seen.
    const log = await logText(app, build.id);
    assert.match(log, /bump: .*1\.0\.0 -> 1\.1\.0/);
    assert.match(log, /pushed kiln\/bump-hello-1\.1\.0/);
    assert.ok(!log.includes(TOKEN), 'the token is not in the log');
    const shown = await app.app.inject({ url: `/api/v1/builds/${build.id}`, headers: app.auth });
    assert.ok(!shown.body.includes(TOKEN));

    // The tag pushed again later: the branch is on the remote, so the run stops before any work.
    const again = await postHook(app, { ...pushHeaders, 'x-github-delivery': randomUUID() }, tagPush);
    assert.equal(again.statusCode, 202, again.body);
    const rerun = await finishedBuild(app, (again.json['builds'] as BuildView[])[0]!.id);
    assert.equal(rerun.status, 'failed');
    assert.match(rerun.error ?? '', /^step clone: branch 'kiln\/bump-hello-1\.1\.0' exists in .* already/);
    assert.equal(git(remote.bare, ['rev-parse', branch]), evidence.commit, 'the branch is untouched');
  });

  it('a version without a release fails the run with the download error and pushes nothing', async (t) => {
    const remote = await setUp(t);
    const { app } = remote;
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/version-syncs/hello/runs',
      headers: app.auth,
      payload: { version: '9.9.9' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const queued = res.json<{ builds: BuildView[] }>().builds[0]!;
    assert.equal(queued.status, 'pending');
    const build = await finishedBuild(app, queued.id, 120_000);
    assert.equal(build.status, 'failed');
    assert.match(build.error ?? '', /^step bump: /);
    assert.match(build.error ?? '', /404|not found/i);
    assert.deepEqual(
      build.steps?.map((s) => [s.name, s.status]),
      [
        ['clone', 'succeeded'],
        ['bump', 'failed'],
      ],
    );
    assert.deepEqual(remoteBranches(remote.bare), ['refs/heads/main']);
    assert.ok(
      !remote.git.requests.some((r) => r.path.endsWith('/git-receive-pack')),
      'no push was attempted',
    );
  });

  it('a run that outlasts its timeout ends timed_out, and pushes nothing', async (t) => {
    // A download server that accepts connections and never answers.
    const silent = createServer((socket) => sockets.add(socket));
    const sockets = new Set<Socket>();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const remote = await setUp(t, {}, { base, app: { builds: { defaultTimeoutSeconds: 3 } } });
    const { app } = remote;
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/version-syncs/hello/runs',
      headers: app.auth,
      payload: { version: '1.1.0' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const build = await finishedBuild(app, res.json<{ builds: BuildView[] }>().builds[0]!.id, 60_000);
    assert.equal(build.status, 'timed_out', build.error ?? '');
    assert.equal(build.reason, 'wall-clock-timeout');
    assert.match(build.error ?? '', /step bump: .*timeout of 3 s/);
    assert.ok((build.durationMs ?? 0) < 30_000, `it stopped soon after the timeout (${build.durationMs} ms)`);
    assert.deepEqual(remoteBranches(remote.bare), ['refs/heads/main']);
  });

  it('the API validates, hides secrets, refuses duplicates and removes syncs', async (t) => {
    const remote = await setUp(t);
    const { app } = remote;
    const shown = await app.app.inject({ url: '/api/v1/version-syncs/hello', headers: app.auth });
    assert.equal(shown.statusCode, 200);
    const view = shown.json<VersionSyncView>();
    assert.equal(view.hasToken, true);
    assert.equal(view.hasWebhookSecret, true);
    assert.equal(view.branch, 'kiln/bump-{name}-{version}');
    assert.equal(view.tagPattern, '^v?(\\d.*)$');
    assert.equal(view.webhookPath, '/api/v1/hooks/version-sync/hello');
    assert.ok(!shown.body.includes(TOKEN) && !shown.body.includes(SECRET), shown.body);
    const listed = await app.app.inject({ url: '/api/v1/version-syncs', headers: app.auth });
    assert.deepEqual(
      listed.json<{ syncs: VersionSyncView[] }>().syncs.map((s) => s.name),
      ['hello'],
    );
    assert.ok(!listed.body.includes(TOKEN) && !listed.body.includes(SECRET));
    // The token is stored sealed, not as it was given.
    const stored = await app.kiln.store.versionSyncs.get('hello');
    assert.ok(stored?.token && !stored.token.includes(TOKEN));

    const create = (payload: Record<string, unknown>) =>
      app.app.inject({ method: 'POST', url: '/api/v1/version-syncs', headers: app.auth, payload });
    const base = { name: 'other', repository: remote.url, file: 'pkgs/hello/package.nix', token: TOKEN };
    const duplicate = await create({ ...base, name: 'hello' });
    assert.equal(duplicate.statusCode, 409, duplicate.body);
    for (const [payload, pattern] of [
      [{ ...base, unknown: 1 }, /unknown|additional/i],
      [{ ...base, file: '../etc/passwd.nix' }, /\.\./],
      [{ ...base, file: '/abs/package.nix' }, /relative/],
      [{ ...base, repository: 'ext::sh' }, /remote helper/],
      [{ ...base, tagPattern: '^v.*$' }, /capture group/],
      [{ ...base, name: 'Bad Name' }, /name/],
      [{ ...base, branch: 'bump/{name}' }, /\{version\}/],
    ] as const) {
      const res = await create(payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.match(res.body, pattern);
    }
    const badToken = await create({ ...base, token: 'wrong-token' });
    assert.equal(badToken.statusCode, 422, badToken.body);
    assert.match(badToken.body, /KILN_ERR_GIT_AUTH/);
    const noAuth = await app.app.inject({ url: '/api/v1/version-syncs' });
    assert.equal(noAuth.statusCode, 401);
    const doc = await app.app.inject({ url: '/api/v1/openapi.json' });
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    for (const p of ['/api/v1/version-syncs/{name}/runs', '/api/v1/hooks/version-sync/{name}']) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }

    const removed = await app.app.inject({
      method: 'DELETE',
      url: '/api/v1/version-syncs/hello',
      headers: app.auth,
    });
    assert.equal(removed.statusCode, 200, removed.body);
    const gone = await app.app.inject({ url: '/api/v1/version-syncs/hello', headers: app.auth });
    assert.equal(gone.statusCode, 404);
  });

  it('Gitea and GitLab deliveries are verified and their tags extracted; other events are ignored', async (t) => {
    const remote = await setUp(t, { tagPattern: '^release-(\\d[\\d.]*)$' });
    const { app } = remote;
    const hex = (body: string): string => createHmac('sha256', SECRET).update(body).digest('hex');
    const cancelQueued = async (answer: { json: Record<string, unknown> }): Promise<BuildView> => {
      const build = (answer.json['builds'] as BuildView[])[0]!;
      await app.app.inject({ method: 'POST', url: `/api/v1/builds/${build.id}/cancel`, headers: app.auth });
      return build;
    };

    // Gitea: a pushed tag, signed with the bare hex HMAC.
    const giteaPush = JSON.stringify({
      ref: 'refs/tags/release-2.0.1',
      before: '0'.repeat(40),
      after: 'a'.repeat(40),
      repository: { full_name: 'acme/hello' },
    });
    const gitea = { 'x-gitea-event': 'push', 'x-github-event': 'push', 'x-gitea-delivery': randomUUID() };
    assert.equal(
      (await postHook(app, { ...gitea, 'x-gitea-signature': hex('{}') }, giteaPush)).statusCode,
      401,
    );
    const giteaOk = await postHook(app, { ...gitea, 'x-gitea-signature': hex(giteaPush) }, giteaPush);
    assert.equal(giteaOk.statusCode, 202, giteaOk.body);
    assert.deepEqual((await cancelQueued(giteaOk)).source, {
      kind: 'bump',
      sync: 'hello',
      version: '2.0.1',
      tag: 'release-2.0.1',
    });

    // GitLab: Tag Push Hook and Release Hook, authenticated by the token header.
    const tagPush = JSON.stringify({
      object_kind: 'tag_push',
      ref: 'refs/tags/release-3.0',
      after: 'b'.repeat(40),
    });
    const gitlab = { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-event-uuid': randomUUID() };
    assert.equal((await postHook(app, { ...gitlab, 'x-gitlab-token': 'nope' }, tagPush)).statusCode, 401);
    const gitlabOk = await postHook(app, { ...gitlab, 'x-gitlab-token': SECRET }, tagPush);
    assert.equal(gitlabOk.statusCode, 202, gitlabOk.body);
    assert.equal((await cancelQueued(gitlabOk)).source.version, '3.0');
    const replay = await postHook(app, { ...gitlab, 'x-gitlab-token': SECRET }, tagPush);
    assert.deepEqual([replay.statusCode, replay.json], [200, { duplicate: true }]);
    const release = JSON.stringify({ object_kind: 'release', action: 'create', tag: 'release-3.1' });
    const releaseOk = await postHook(
      app,
      { 'x-gitlab-event': 'Release Hook', 'x-gitlab-event-uuid': randomUUID(), 'x-gitlab-token': SECRET },
      release,
    );
    assert.equal(releaseOk.statusCode, 202, releaseOk.body);
    const cancelled = await finishedBuild(app, (await cancelQueued(releaseOk)).id);
    assert.deepEqual([cancelled.source.version, cancelled.status], ['3.1', 'cancelled']);

    // Signed, but nothing to do: a branch push, a tag outside the pattern, a ping.
    const signedGithub = (event: string, body: string) =>
      postHook(
        app,
        {
          'x-github-event': event,
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signBody(SECRET, Buffer.from(body)),
        },
        body,
      );
    for (const [event, body, reason] of [
      [
        'push',
        JSON.stringify({ ref: 'refs/heads/main', created: false, after: 'c'.repeat(40) }),
        /branch push/,
      ],
      ['release', githubRelease('v9.0.0'), /does not match/],
      ['release', githubRelease('release-4.0', 'deleted'), /release action 'deleted'/],
      ['ping', JSON.stringify({ zen: 'Keep it logically awesome.' }), /not a release/],
    ] as const) {
      const answer = await signedGithub(event, body);
      assert.equal(answer.statusCode, 202, answer.body);
      assert.match(String(answer.json['ignored']), reason);
    }
    const builds = await allBuilds(app);
    assert.deepEqual(builds.map((b) => b.source.version).sort(), ['2.0.1', '3.0', '3.1']);

    // Unknown syncs are 404; a signed body that is not JSON is 400.
    assert.equal(
      (await postHook(app, { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': SECRET }, tagPush, 'nope'))
        .statusCode,
      404,
    );
    assert.equal(
      (await postHook(app, { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': SECRET }, 'not json'))
        .statusCode,
      400,
    );
  });
});
