import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BuildView, VersionSyncView } from '../../src/api/index.js';
import { signBody } from '../../src/webhooks/index.js';
import {
  LIB_NIX,
  packageNix,
  releaseHashes,
  startReleaseServer,
  type PackageHashes,
} from '../helpers/bump-package.js';
import { bareClone, git, makeRepo } from '../helpers/git-repos.js';
import { startGitHttpServer } from '../helpers/git-server.js';
import { waitFor } from '../helpers/nix.js';
import { runCli, startServerProcess } from '../helpers/server-process.js';

const RELEASES = [
  { version: '1.0.0', deps: ['alpha.txt'] },
  { version: '1.1.0', deps: ['alpha.txt', 'beta.txt'] },
  { version: '1.2.0', deps: ['beta.txt', 'gamma.txt'] },
];

describe('kiln sync through the real CLI, server, git remote and Nix', () => {
  it('adds a sync, runs it with --follow, shows the evidence, and a signed webhook runs it again', async (t) => {
    const token = `tok-${randomUUID()}`;
    const secret = `hook-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-sync-'));
    const releases = await startReleaseServer(t, RELEASES);
    const hashes: PackageHashes[] = [];
    for (const release of RELEASES) hashes.push(await releaseHashes(t, releases, release));
    const work = join(dir, 'work');
    makeRepo(work, [
      {
        subject: 'Add hello',
        author: 'Grace Hopper',
        email: 'grace@example.org',
        date: '2024-05-06T07:08:09+00:00',
        files: { 'lib.nix': LIB_NIX, 'package.nix': packageNix(releases.url, '1.0.0', hashes[0]!) },
      },
    ]);
    mkdirSync(join(dir, 'served'));
    const bare = join(dir, 'served', 'pkgs.git');
    bareClone(work, bare);
    git(bare, ['config', 'http.receivepack', 'true']);
    const gitServer = await startGitHttpServer({ projectRoot: join(dir, 'served'), password: token });
    const server = await startServerProcess(join(dir, 'data'));
    // One hook, in this order: the server stops (its builds end) before the files go.
    t.after(async () => {
      await server.stop();
      await gitServer.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const env = { KILN_SERVER: server.url, KILN_TOKEN: server.token };

    writeFileSync(join(dir, 'token.txt'), `${token}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'secret.txt'), `${secret}\n`, { mode: 0o600 });
    const url = `${gitServer.url}/pkgs.git`;
    const added = await runCli(
      [
        'sync',
        'add',
        'hello',
        '--git',
        url,
        '--file',
        'package.nix',
        '--verify',
        'result/bin/hello',
        '--git-token-file',
        join(dir, 'token.txt'),
        '--webhook-secret-file',
        join(dir, 'secret.txt'),
      ],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added version sync hello/);
    assert.match(added.stdout, /git token: +set/);
    assert.ok(!added.stdout.includes(token) && !added.stdout.includes(secret));

    const shown = await runCli(['sync', 'show', 'hello', '--json'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const view = JSON.parse(shown.stdout) as VersionSyncView;
    assert.deepEqual([view.hasToken, view.hasWebhookSecret, view.ref], [true, true, null]);
    assert.ok(!shown.stdout.includes(token) && !shown.stdout.includes(secret));
    const listed = await runCli(['sync', 'list'], env);
    assert.match(listed.stdout, /^hello\t.*pkgs\.git\tpackage\.nix$/m);

    const run = await runCli(['sync', 'run', 'hello', '--version', '1.1.0', '--follow'], env, 300_000);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /bump: .*1\.0\.0 -> 1\.1\.0/, 'the log streams the bump');
    assert.match(run.stdout, /succeeded/);
    assert.match(run.stdout, /branch: +kiln\/bump-hello-1\.1\.0 [0-9a-f]{12}/);
    assert.ok(!run.stdout.includes(token) && !run.stderr.includes(token));
    const id = /^build (\S+) .*succeeded/m.exec(run.stdout)?.[1] ?? '';

    const status = await runCli(['status', id, '--json'], env);
    const build = JSON.parse(status.stdout) as BuildView;
    assert.equal(build.bump?.newVersion, '1.1.0');
    assert.equal(build.bump?.hashes.find((h) => h.path === 'vendorHash')?.new, hashes[1]!.vendor);
    assert.equal(build.bump?.commit, git(bare, ['rev-parse', 'kiln/bump-hello-1.1.0']));
    const human = await runCli(['status', id], env);
    assert.match(human.stdout, /source: +sync:hello -> 1\.1\.0/);
    assert.match(human.stdout, /version: +1\.0\.0 -> 1\.1\.0/);
    assert.ok(human.stdout.includes(`src.hash:  ${hashes[1]!.src} (prefetch`), human.stdout);
    assert.match(human.stdout, /verify: +result\/bin\/hello: exit 0/);
    assert.match(human.stdout, /branch: +kiln\/bump-hello-1\.1\.0 at [0-9a-f]{40}/);

    // The webhook over a real socket: the signature covers the exact bytes sent (pretty-printed,
    // non-ASCII), which a re-serialised body would not match.
    const body = Buffer.from(
      JSON.stringify(
        {
          action: 'published',
          release: { tag_name: 'v1.2.0', name: 'hello 1.2.0 — “gamma”' },
          repository: { full_name: 'acme/hello' },
        },
        null,
        2,
      ),
    );
    const response = await fetch(`${server.url}/api/v1/hooks/version-sync/hello`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'release',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signBody(secret, body),
      },
      body,
    });
    const answer = (await response.json()) as { builds: BuildView[]; version: string };
    assert.equal(response.status, 202, JSON.stringify(answer));
    assert.equal(answer.version, '1.2.0');
    const hookBuild = answer.builds[0]!;
    const finished = await waitFor(
      async () => {
        const res = await runCli(['status', hookBuild.id, '--json'], env);
        const b = JSON.parse(res.stdout) as BuildView;
        return b.finishedAt !== null ? b : undefined;
      },
      { timeoutMs: 300_000, what: 'the webhook run to finish' },
    );
    assert.equal(finished.status, 'succeeded', finished.error ?? '');
    const file = git(bare, ['show', 'kiln/bump-hello-1.2.0:package.nix']);
    assert.ok(file.includes(`vendorHash = "${hashes[2]!.vendor}";`), file);
    assert.ok(file.includes(`hash = "${hashes[2]!.src}";`), file);

    const removed = await runCli(['sync', 'remove', 'hello'], env);
    assert.equal(removed.code, 0, removed.stderr);
    const gone = await runCli(['sync', 'show', 'hello'], env);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no version sync named hello/);
  });
});
