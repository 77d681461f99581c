import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BuildView, ProjectView } from '../../src/api/index.js';
import { bareClone, git, makeRepo } from '../helpers/git-repos.js';
import { startGitHttpServer } from '../helpers/git-server.js';
import { nonce } from '../helpers/nix.js';
import { runCli, startServerProcess } from '../helpers/server-process.js';

const X = 'x86_64-linux';
const I = 'i686-linux';

/** A flake without nixpkgs: hello for two systems, a check on x86_64-linux, a devShell. */
function flake(tag: string): string {
  return `{
  outputs = { self }: let
    mk = system: name: script: derivation {
      inherit name system; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" script ];
    };
    hello = system: mk system "hello" "echo hello from \${system} > $out";
  in {
    packages.${X}.hello = hello "${X}";
    packages.${I}.hello = hello "${I}";
    checks.${X}.greets = mk "${X}" "greets" "grep hello \${hello "${X}"} > $out";
    devShells.${X}.default = mk "${X}" "shell" "echo shell > $out";
  };
}
`;
}

interface RunResult {
  groupId: string;
  status: string;
  builds: BuildView[];
}

describe('kiln project through the real CLI, server, git remote and Nix', () => {
  it('adds, lists, shows, edits, builds (a matrix) and removes a project', async (t) => {
    const token = `tok-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-project-'));
    const work = join(dir, 'work');
    makeRepo(work, [
      {
        subject: 'A flake',
        author: 'Ada Lovelace',
        email: 'ada@example.org',
        date: '2024-03-01T10:00:00+00:00',
        files: { 'flake.nix': flake(nonce()) },
      },
    ]);
    mkdirSync(join(dir, 'served'));
    bareClone(work, join(dir, 'served', 'app.git'));
    const head = git(work, ['rev-parse', 'HEAD']);
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
    const repo = `${gitServer.url}/app.git`;

    const added = await runCli(
      [
        'project',
        'add',
        'app',
        '--repo',
        repo,
        '--branch',
        'main',
        '--git-token-file',
        join(dir, 'token.txt'),
      ],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^added project app$/m);
    assert.match(added.stdout, /^git token: +set$/m);
    // The server generated the webhook secret: printed once, with where it goes.
    const secret = /^webhook secret: ([0-9a-f]{64})$/m.exec(added.stdout)?.[1];
    assert.ok(secret, added.stdout);
    assert.match(added.stdout, /shown only now: paste it as the secret of the forge's webhook/);
    assert.ok(!added.stdout.includes(token) && !added.stderr.includes(token));

    const again = await runCli(['project', 'add', 'app', '--repo', repo], env);
    assert.equal(again.code, 2, 'a second project of the same name is refused');
    assert.match(again.stderr, /exists already \(KILN_ERR_CONFLICT\)/);

    const shown = await runCli(['project', 'show', 'app'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^webhook secret: +set$/m);
    assert.ok(shown.stdout.includes(`webhook:        ${server.url}/api/v1/hooks/projects/app`), shown.stdout);
    assert.match(shown.stdout, /content type application\/json/);
    assert.ok(!shown.stdout.includes(secret) && !shown.stdout.includes(token));
    assert.match(shown.stdout, /^build: +flake packages,checks,devShells$/m);

    const edited = await runCli(
      [
        'project',
        'edit',
        'app',
        '--outputs',
        'packages,checks',
        '--system',
        X,
        '--system',
        I,
        '--cancel-in-progress',
      ],
      env,
    );
    assert.equal(edited.code, 0, edited.stderr);
    assert.doesNotMatch(edited.stdout, /webhook secret: [0-9a-f]/, 'an edit does not show the secret again');
    const view = JSON.parse((await runCli(['project', 'show', 'app', '--json'], env)).stdout) as ProjectView;
    assert.deepEqual(view.build, { kind: 'flake', outputs: ['packages', 'checks'] });
    assert.deepEqual(view.systems, [X, I]);
    assert.deepEqual(view.branches, ['main']);
    assert.deepEqual(view.concurrency, {
      group: '{project}/{branch}',
      mode: 'replace',
      cancelInProgress: true,
    });
    assert.deepEqual([view.hasToken, view.hasWebhookSecret, view.hasSshKey], [true, true, false]);

    const refused = await runCli(['project', 'edit', 'app', '--queue', '--cancel-in-progress'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--queue keeps every run/);

    const listed = await runCli(['project', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +REPO +BUILD +SYSTEMS +BRANCHES +CONCURRENCY$/m);
    assert.ok(listed.stdout.includes(`app   ${repo}  flake packages,checks  ${X},${I}  main`), listed.stdout);

    const built = await runCli(
      ['project', 'build', 'app', '--branch', 'main', '--wait', '--json'],
      env,
      300_000,
    );
    assert.equal(built.code, 0, `${built.stdout}\n${built.stderr}`);
    const run = JSON.parse(built.stdout) as RunResult;
    assert.equal(run.status, 'succeeded');
    const [evaluation, ...children] = run.builds;
    assert.equal(evaluation?.projectId, 'app');
    assert.equal(evaluation?.commit?.sha, head);
    assert.equal(run.groupId, evaluation?.id);
    assert.deepEqual(
      Object.fromEntries(children.map((c) => [c.attrPath, c.status])),
      {
        [`packages.${X}.hello`]: 'succeeded',
        [`packages.${I}.hello`]: 'succeeded',
        [`checks.${X}.greets`]: 'succeeded',
      },
      'one child per derivation of the chosen outputs, for each system (no devShell)',
    );
    for (const child of children) assert.equal(child.outputs.length, 1, child.attrPath ?? child.id);
    assert.ok(!built.stdout.includes(token) && !built.stderr.includes(token));

    const removed = await runCli(['project', 'remove', 'app'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /removed project app/);
    const gone = await runCli(['project', 'show', 'app'], env);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no project named app \(KILN_ERR_NOT_FOUND\)/);
    const empty = await runCli(['project', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(empty.stdout), { projects: [] });
    // The run's builds outlive the project.
    const status = await runCli(['status', evaluation?.id ?? '', '--json'], env);
    assert.equal((JSON.parse(status.stdout) as BuildView).status, 'succeeded');
  });
});
