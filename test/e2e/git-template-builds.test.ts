import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-server.js';
import { startRegistry } from '../helpers/registry.js';
import { bareClone, makeRepo } from '../helpers/git-repos.js';
import { nonce } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

describe('kiln build --git and --template through the real CLI and server', () => {
  let dir: string;
  let server: ServerProcess;
  let gitServer: GitHttpServer;
  let env: Record<string, string>;
  const token = `tok-${nonce()}`;
  let sha: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-git-'));
    const work = join(dir, 'work');
    const tag = nonce();
    [sha] = makeRepo(work, [
      {
        subject: 'Ship the hello flake',
        author: 'Grace Hopper',
        email: 'grace@example.org',
        date: '2024-05-06T07:08:09+00:00',
        files: {
          'flake.nix': `{
  outputs = { self }: {
    packages.x86_64-linux.hello = derivation { name = "hello"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo ${tag} > $out" ]; };
  };
}
`,
        },
      },
    ]) as [string];
    mkdirSync(join(dir, 'served'));
    bareClone(work, join(dir, 'served', 'private.git'));
    gitServer = await startGitHttpServer({ projectRoot: join(dir, 'served'), password: token });
    server = await startServerProcess(join(dir, 'data'));
    env = { KILN_SERVER: server.url, KILN_TOKEN: server.token };
  });
  after(async () => {
    await server.stop();
    await gitServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds a private repository at a branch with --git-token-file and shows the commit', async () => {
    const tokenFile = join(dir, 'token.txt');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const url = `${gitServer.url}/private.git`;
    const res = await runCli(
      [
        'build',
        '--git',
        url,
        '--ref',
        'main',
        '--attr',
        'hello',
        '--git-token-file',
        tokenFile,
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    const build = JSON.parse(res.stdout) as {
      id: string;
      status: string;
      cached: boolean;
      commit: { sha: string; branch: string; subject: string };
    };
    assert.equal(build.status, 'succeeded');
    assert.equal(build.commit.sha, sha);
    assert.equal(build.commit.branch, 'main');
    assert.ok(!res.stdout.includes(token) && !res.stderr.includes(token));

    const status = await runCli(['status', build.id], env);
    assert.match(status.stdout, new RegExp(`commit: +${sha} \\(main\\)`));
    assert.match(status.stdout, /subject: +Ship the hello flake/);
    const logs = await runCli(['logs', build.id], env);
    assert.ok(!logs.stdout.includes(token), 'the token is not in the log');

    const again = await runCli(
      [
        'build',
        '--git',
        url,
        '--ref',
        'main',
        '--attr',
        'hello',
        '--git-token-file',
        tokenFile,
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal((JSON.parse(again.stdout) as { cached: boolean }).cached, true);

    const denied = await runCli(['build', '--git', url, '--ref', 'main', '--wait'], env);
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /KILN_ERR_GIT_AUTH/);
  });

  it('kiln build --git … --image pushes an image whose digest skopeo agrees with', async (t) => {
    const registry = await startRegistry(t);
    const tokenFile = join(dir, 'token-image.txt');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const res = await runCli(
      [
        'build',
        '--git',
        `${gitServer.url}/private.git`,
        '--attr',
        'hello',
        '--git-token-file',
        tokenFile,
        '--image',
        `${registry.host}/app`,
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    const build = JSON.parse(res.stdout) as {
      id: string;
      status: string;
      outputs: string[];
      image: { ref: string; digest: string };
    };
    assert.equal(build.status, 'succeeded');
    const inspect = (tag: string) =>
      JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/app:${tag}`], {
          encoding: 'utf8',
        }),
      ) as { Digest: string; Labels: Record<string, string> };
    const inspected = inspect('latest');
    assert.equal(inspected.Digest, build.image.digest);
    assert.equal(inspected.Labels['org.opencontainers.image.revision'], sha);
    assert.equal(inspect('current').Digest, build.image.digest, 'every step succeeded: current');

    // Pulled back from the registry by skopeo and unpacked, the image holds the build's output.
    const pulled = join(dir, 'pulled');
    execFileSync('skopeo', [
      'copy',
      '--src-tls-verify=false',
      `docker://${registry.host}/app:latest`,
      `oci:${pulled}:latest`,
    ]);
    const index = JSON.parse(readFileSync(join(pulled, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]?.digest, build.image.digest);
    const manifest = JSON.parse(
      readFileSync(join(pulled, 'blobs/sha256', build.image.digest.slice('sha256:'.length)), 'utf8'),
    ) as { layers: { digest: string }[] };
    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs);
    for (const layer of manifest.layers) {
      const blob = join(pulled, 'blobs/sha256', layer.digest.slice('sha256:'.length));
      execFileSync('tar', ['-x', '-z', '-p', '-f', blob, '-C', rootfs]);
    }
    const output = build.outputs[0]!;
    assert.equal(readFileSync(join(rootfs, output), 'utf8'), readFileSync(output, 'utf8'));

    // kiln image: the same build, pushed again under another tag and made current (a rollback).
    const again = await runCli(
      ['image', build.id, '--image', `${registry.host}/app:again`, '--current'],
      env,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^${registry.host}/app:again@sha256:[0-9a-f]{64}$`, 'm'));
    const status = await runCli(['status', build.id, '--json'], env);
    const shown = JSON.parse(status.stdout) as {
      image: { digest: string; tags: string[]; current: boolean };
    };
    assert.equal(inspect('again').Digest, shown.image.digest);
    assert.equal(inspect('current').Digest, shown.image.digest);
    assert.ok(shown.image.current && shown.image.tags.includes(build.id.toLowerCase()));
  });

  it('builds a built-in template with --set, and refuses an unknown parameter', async () => {
    const list = await runCli(['template', 'list'], env);
    assert.match(list.stdout, /shell-service/);
    const res = await runCli(
      ['build', '--template', 'shell-service', '--set', 'name=web', '--set', 'port=8081', '--wait', '--json'],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    const build = JSON.parse(res.stdout) as { status: string; source: { kind: string; name: string } };
    assert.equal(build.status, 'succeeded');
    assert.deepEqual([build.source.kind, build.source.name], ['template', 'shell-service']);
    const bad = await runCli(
      ['build', '--template', 'shell-service', '--set', 'name=web', '--set', 'colour=red'],
      env,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /colour/);
  });
});
