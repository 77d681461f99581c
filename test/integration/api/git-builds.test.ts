import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { BuildView } from '../../../src/api/index.js';
import { sshdUnavailableReason, startGitHttpServer, startGitSshServer } from '../../helpers/git-server.js';
import { finishedBuild, startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { nonce, waitFor } from '../../helpers/nix.js';
import { tempDir } from '../../helpers/tmp.js';
import { bareClone, makeRepo } from '../../helpers/git-repos.js';

const drv = (name: string, system: string, tag: string): string =>
  `derivation { name = "${name}"; system = "${system}"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo ${tag} $GREETING > $out" ]; }`;

/** A flake with packages for two systems and a default.nix with an attribute set. */
function flakeRepo(dir: string, tag = nonce()): string[] {
  const flake = `{
  outputs = { self }: {
    packages.x86_64-linux.default = ${drv('flake-default', 'x86_64-linux', tag)};
    packages.x86_64-linux.hello = ${drv('flake-hello', 'x86_64-linux', tag)};
    packages.i686-linux.default = ${drv('flake-default-32', 'i686-linux', tag)};
  };
}
`;
  return makeRepo(dir, [
    {
      subject: 'Add a flake',
      author: 'Ada Lovelace',
      email: 'ada@example.org',
      date: '2024-03-01T10:00:00+00:00',
      files: { 'flake.nix': flake },
    },
  ]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return [];
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : [];
  });
}

async function submit(app: TestApp, payload: Record<string, unknown>) {
  return app.app.inject({ method: 'POST', url: '/api/v1/builds', headers: app.auth, payload });
}

async function startApp(t: TestContext): Promise<TestApp> {
  return startTestApp(t, { git: { allowLocal: true } });
}

describe('builds from Git', () => {
  it('builds a flake output at a branch and records the commit', async (t) => {
    const app = await startApp(t);
    const repo = join(tempDir(t), 'repo');
    const [sha] = flakeRepo(repo);
    const res = await submit(app, {
      source: { kind: 'git', url: `file://${repo}`, ref: 'main', attr: 'hello' },
      env: { GREETING: 'hi' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const queued = res.json<{ builds: BuildView[] }>().builds[0]!;
    assert.equal(queued.commit?.sha, sha, 'the commit is resolved at submission');
    const build = await finishedBuild(app, queued.id);
    assert.equal(build.status, 'succeeded', build.error ?? '');
    assert.match(build.outputs[0] ?? '', /-flake-hello$/);
    assert.deepEqual(build.commit, {
      sha,
      branch: 'main',
      author: 'Ada Lovelace',
      authorEmail: 'ada@example.org',
      date: '2024-03-01T10:00:00+00:00',
      subject: 'Add a flake',
    });
    assert.deepEqual(
      build.steps?.map((step) => [step.name, step.status]),
      [
        ['clone', 'succeeded'],
        ['eval', 'succeeded'],
        ['realise', 'succeeded'],
        ['closure-size', 'succeeded'],
      ],
    );
    assert.equal(build.cached, false);
  });

  it('answers an identical build from the earlier result without running Nix, and not a different one', async (t) => {
    const app = await startApp(t);
    const repo = join(tempDir(t), 'repo');
    flakeRepo(repo);
    const source = { kind: 'git', url: `file://${repo}`, ref: 'main' };
    const first = (await submit(app, { source })).json<{ builds: BuildView[] }>().builds[0]!;
    const built = await finishedBuild(app, first.id);
    assert.equal(built.status, 'succeeded', built.error ?? '');

    const again = await submit(app, { source });
    const cached = again.json<{ builds: BuildView[] }>().builds[0]!;
    assert.equal(cached.status, 'succeeded');
    assert.equal(cached.cached, true);
    assert.deepEqual(cached.outputs, built.outputs);
    assert.equal(cached.commit?.subject, 'Add a flake');
    const log = (await app.app.inject({ url: `/api/v1/builds/${cached.id}/log`, headers: app.auth })).json<{
      lines: { text: string }[];
    }>();
    assert.match(log.lines.map((l) => l.text).join('\n'), new RegExp(`answered from build ${first.id}`));
    // The cached build gets GC roots of its own, so its outputs outlive the earlier build's cleanup.
    const root = join(app.dataDir, 'gcroots', cached.id, 'result');
    await waitFor(async () => existsSync(root) && (await readlink(root)) === built.outputs[0], {
      what: 'the cached build to have its own GC root',
    });

    const other = (await submit(app, { source: { ...source, attr: 'hello' } })).json<{
      builds: BuildView[];
    }>();
    assert.equal(other.builds[0]!.cached, false, 'another attribute is another build');
    const withEnv = (await submit(app, { source, env: { GREETING: 'x' } })).json<{ builds: BuildView[] }>();
    assert.equal(withEnv.builds[0]!.cached, false, 'other options are another build');
  });

  it('builds an attribute of default.nix, and each --system as a sibling in one group', async (t) => {
    const app = await startApp(t);
    const repo = join(tempDir(t), 'repo');
    const tag = nonce();
    makeRepo(repo, [
      {
        subject: 'Plain Nix',
        author: 'Grace Hopper',
        email: 'grace@example.org',
        date: '2024-03-02T11:30:00+01:00',
        files: {
          'default.nix': `{ app = derivation { name = "plain-app"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo ${tag} > $out" ]; }; }\n`,
        },
      },
    ]);
    const res = await submit(app, {
      source: { kind: 'git', url: `file://${repo}`, attr: 'app' },
      systems: ['x86_64-linux', 'i686-linux'],
    });
    assert.equal(res.statusCode, 201, res.body);
    const queued = res.json<{ builds: BuildView[] }>().builds;
    assert.equal(queued.length, 2);
    assert.ok(queued[0]!.groupId !== null && queued[0]!.groupId === queued[1]!.groupId);
    for (const build of queued) {
      const done = await finishedBuild(app, build.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      assert.equal(done.commit?.branch, 'main', 'the remote HEAD names the branch');
    }
  });

  it('tells an unknown branch, a missing repository and a refused URL apart, and queues nothing', async (t) => {
    const app = await startApp(t);
    const repo = join(tempDir(t), 'repo');
    flakeRepo(repo);
    const branch = await submit(app, {
      source: { kind: 'git', url: `file://${repo}`, ref: 'no-such-branch' },
    });
    assert.equal(branch.statusCode, 422, branch.body);
    assert.equal(branch.json<{ error: { code: string } }>().error.code, 'KILN_ERR_GIT_REF_NOT_FOUND');
    const missing = await submit(app, { source: { kind: 'git', url: `file://${repo}-missing` } });
    assert.equal(missing.statusCode, 422, missing.body);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'KILN_ERR_GIT_REPO_NOT_FOUND');
    const hostile = await submit(app, { source: { kind: 'git', url: 'ext::sh -c touch% /tmp/kiln-pwned' } });
    assert.equal(hostile.statusCode, 400, hostile.body);
    const ref = await submit(app, { source: { kind: 'git', url: `file://${repo}`, ref: '--upload-pack=x' } });
    assert.equal(ref.statusCode, 400, ref.body);
    const list = (await app.app.inject({ url: '/api/v1/builds', headers: app.auth })).json<{
      builds: unknown[];
    }>();
    assert.equal(list.builds.length, 0);
  });

  it('refuses local repositories unless the server allows them', async (t) => {
    const app = await startTestApp(t);
    const res = await submit(app, { source: { kind: 'git', url: 'file:///etc' } });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'KILN_ERR_GIT_URL');
  });

  it('clones a private repository over HTTP with a token that never shows up anywhere', async (t) => {
    const dir = tempDir(t);
    const token = `secret-${nonce()}`;
    const work = join(dir, 'work');
    flakeRepo(work);
    mkdirSync(join(dir, 'served'));
    bareClone(work, join(dir, 'served', 'app.git'));
    const server = await startGitHttpServer({ projectRoot: join(dir, 'served'), password: token });
    t.after(() => server.close());
    const app = await startTestApp(t, { git: { allowLocal: true } });

    const denied = await submit(app, { source: { kind: 'git', url: `${server.url}/app.git` } });
    assert.equal(denied.statusCode, 422, denied.body);
    assert.equal(denied.json<{ error: { code: string } }>().error.code, 'KILN_ERR_GIT_AUTH');
    const wrong = await submit(app, {
      source: { kind: 'git', url: `${server.url}/app.git` },
      credentials: { token: 'not-the-token' },
    });
    assert.equal(wrong.json<{ error: { code: string } }>().error.code, 'KILN_ERR_GIT_AUTH');

    const res = await submit(app, {
      source: { kind: 'git', url: `${server.url}/app.git`, ref: 'main' },
      credentials: { token },
    });
    assert.equal(res.statusCode, 201, res.body);
    const build = await finishedBuild(app, res.json<{ builds: BuildView[] }>().builds[0]!.id);
    assert.equal(build.status, 'succeeded', build.error ?? '');
    assert.ok(!JSON.stringify(build).includes(token), 'not in the API view');
    const record = await app.kiln.store.builds.get(build.id);
    assert.equal(record?.secrets, null, 'the sealed credentials are dropped when the build ends');
    // Every byte kiln stored: the database, its WAL, the logs and the workspace.
    await app.kiln.close();
    const leaks = filesUnder(app.dataDir).filter((file) => readFileSync(file).includes(Buffer.from(token)));
    assert.deepEqual(leaks, [], 'the token appears nowhere under the data directory');
  });

  it(
    'clones over SSH with --ssh-key-file style credentials; the key is nowhere afterwards',
    { skip: sshdUnavailableReason() ?? false },
    async (t) => {
      const dir = tempDir(t);
      flakeRepo(join(dir, 'work'));
      bareClone(join(dir, 'work'), join(dir, 'repo.git'));
      const sshd = await startGitSshServer(dir);
      t.after(() => sshd.close());
      const app = await startTestApp(t, { git: { knownHostsFile: sshd.knownHostsFile } });
      const res = await submit(app, {
        source: { kind: 'git', url: sshd.urlFor(join(dir, 'repo.git')), ref: 'main' },
        credentials: { sshPrivateKey: sshd.clientKey },
      });
      assert.equal(res.statusCode, 201, res.body);
      const build = await finishedBuild(app, res.json<{ builds: BuildView[] }>().builds[0]!.id);
      assert.equal(build.status, 'succeeded', build.error ?? '');
      assert.equal(build.commit?.branch, 'main');
      await app.kiln.close();
      const keyLine = sshd.clientKey.split('\n')[1] ?? '';
      assert.ok(keyLine.length > 20);
      const leaks = filesUnder(app.dataDir).filter((file) =>
        readFileSync(file).includes(Buffer.from(keyLine)),
      );
      assert.deepEqual(leaks, [], 'the private key appears nowhere under the data directory');
    },
  );
});
