import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { drvExpr, processWithArgExists, waitFor } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

describe('kiln CLI against a real kiln serve', () => {
  let dir: string;
  let server: ServerProcess;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-'));
    server = await startServerProcess(join(dir, 'data'));
    env = { KILN_SERVER: server.url, KILN_TOKEN: server.token };
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the admin token with mode 0600 on first start and says where it is', async () => {
    const mode = statSync(join(dir, 'data', 'admin.token')).mode & 0o777;
    assert.equal(mode, 0o600);
    const mentionsToken = (): Promise<boolean> =>
      Promise.resolve(/admin token: .*admin\.token/.test(server.output()));
    await waitFor(mentionsToken, { what: 'the token path' });
  });

  it('says clearly when the listen address is taken', async () => {
    const port = new URL(server.url).port;
    const res = await runCli(['serve', '--data', join(dir, 'other'), '--listen', `127.0.0.1:${port}`]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is in use \(KILN_ERR_CONFIG\)/);
  });

  it('builds a file with --env and --wait --json and prints one JSON object', async () => {
    const file = join(dir, 'app.nix');
    writeFileSync(file, drvExpr('echo "node env is $NODE_ENV"; echo "$NODE_ENV" > $out'));
    const res = await runCli(
      ['build', '--file', file, '--env', 'NODE_ENV=production', '--wait', '--json'],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    const build = JSON.parse(res.stdout) as Record<string, unknown>;
    assert.equal(build['status'], 'succeeded');
    for (const key of ['id', 'outputs', 'durationMs', 'artifactSize', 'cached', 'error'])
      assert.ok(key in build, key);
    const outputs = build['outputs'] as string[];
    assert.equal(readFileSync(outputs[0]!, 'utf8').trim(), 'production');
    assert.ok((build['artifactSize'] as number) > 0);
    assert.equal(build['cached'], false);

    const logs = await runCli(['logs', String(build['id'])], env);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /node env is production/);
    const status = await runCli(['status', String(build['id']), '--json'], env);
    assert.equal((JSON.parse(status.stdout) as { status: string }).status, 'succeeded');
  });

  it('exits 1 with the builder output in error when a build fails', async () => {
    const res = await runCli(
      ['build', '--expr', drvExpr('echo "fatal: config missing"; exit 4'), '--wait', '--json'],
      env,
    );
    assert.equal(res.code, 1);
    const build = JSON.parse(res.stdout) as { status: string; error: string };
    assert.equal(build.status, 'failed');
    assert.match(build.error, /fatal: config missing/);
  });

  it('exits 2 with a coded error for bad input and queues nothing', async () => {
    const before = await runCli(['list', '--json'], env);
    const count = JSON.parse(before.stdout) as { builds?: unknown[] } | unknown[];
    const n = Array.isArray(count) ? count.length : (count.builds ?? []).length;
    const cases: [string[], RegExp][] = [
      [['build', '--expr', 'let in in'], /KILN_ERR_EXPR_PARSE/],
      [['build', '--expr', 'builtins.abort "nope"'], /KILN_ERR_EXPR_EVAL/],
      [['build', '--expr', drvExpr('touch $out'), '--timeout', '4000'], /KILN_ERR_TIMEOUT_RANGE/],
      [['build', '--expr', drvExpr('touch $out'), '--env', '9X=1'], /KILN_ERR_ENV_NAME/],
      [['build', '--expr', drvExpr('touch $out'), '--frobnicate'], /KILN_ERR_UNKNOWN_OPTION/],
      [['build', '--file', join(dir, 'missing.nix')], /KILN_ERR_FILE_NOT_FOUND/],
      [['list'], /KILN_ERR_UNAUTHORIZED/],
    ];
    for (const [args, pattern] of cases) {
      const res = await runCli(
        args,
        args[0] === 'list' ? { KILN_SERVER: server.url, KILN_TOKEN: 'kiln_wrong' } : env,
      );
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
      assert.match(res.stderr, pattern);
    }
    const afterList = await runCli(['list', '--json'], env);
    const again = JSON.parse(afterList.stdout) as { builds?: unknown[] } | unknown[];
    assert.equal(Array.isArray(again) ? again.length : (again.builds ?? []).length, n);
  });

  it('follows a live log, cancels a running build and lists both', async () => {
    const marker = `302.${Math.floor(Math.random() * 1e6)}`;
    const follow = runCli(
      [
        'build',
        '--expr',
        drvExpr('for i in 1 2 3; do echo tick-$i; sleep 0.3; done; touch $out'),
        '--follow',
      ],
      env,
    );
    const started = await runCli(
      ['build', '--expr', drvExpr(`echo going to sleep; sleep ${marker}; touch $out`), '--json'],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    const parsed = JSON.parse(started.stdout) as { id?: string; builds?: { id: string }[] };
    const id = parsed.id ?? parsed.builds?.[0]?.id;
    assert.ok(id);
    await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the sleep to start' });
    const cancel = await runCli(['cancel', id], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    await waitFor(async () => !(await processWithArgExists(`sleep ${marker}`)), {
      timeoutMs: 5000,
      what: 'no sleep left',
    });
    const status = await runCli(['status', id, '--json'], env);
    assert.equal((JSON.parse(status.stdout) as { status: string }).status, 'cancelled');

    const followed = await follow;
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /tick-1[\s\S]*tick-2[\s\S]*tick-3/);

    const list = await runCli(['list'], env);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`${id}.*cancelled`));
    assert.match(list.stdout, /succeeded/);

    const stats = await runCli(['stats', '--json'], env);
    const s = JSON.parse(stats.stdout) as { total: number; successRate: number };
    assert.ok(s.total >= 3);
  });

  it('cleans up with --older-than', async () => {
    const res = await runCli(['cleanup', '--older-than', '30d', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { deletedBuilds: number }).deletedBuilds, 0);
    const bad = await runCli(['cleanup', '--older-than', 'yesterday'], env);
    assert.equal(bad.code, 2);
  });
});
