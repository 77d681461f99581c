import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildView } from '../../../src/api/schemas.js';
import { runCli, type CliIo } from '../../../src/cli/index.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  buildView,
  closedPort,
  collector,
  fakeServer,
  logLine,
  sendError,
  sendJson,
  sseEvent,
  startSse,
  succeeded,
  type Handler,
} from './fake-server.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], extra: Partial<CliIo> = {}): Promise<Run> {
  const out = collector();
  const err = collector();
  const code = await runCli(argv, {
    stdout: out.sink,
    stderr: err.sink,
    env: {},
    isTTY: false,
    // Tests must not install real signal handlers.
    onSignal: () => () => undefined,
    timing: {
      reconnectDelayMs: 10,
      pollIntervalMs: 10,
      idleTimeoutMs: 1000,
      maxReconnects: 2,
      redrawIntervalMs: 10,
    },
    ...extra,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A server that accepts builds and streams them to a given end. */
async function buildServer(
  t: TestContext,
  finals: (id: string) => BuildView,
  systems: string[] = [],
): Promise<{ url: string; seen: Awaited<ReturnType<typeof fakeServer>>['seen'] }> {
  const handler: Handler = (req, res) => {
    if (req.method === 'POST' && req.path === '/api/v1/builds') {
      const ids = systems.length > 0 ? systems.map((_, i) => `b${i + 1}`) : ['b1'];
      sendJson(res, 201, {
        builds: ids.map((id, i) =>
          buildView({ id, system: systems[i] ?? null, groupId: systems.length > 0 ? 'g1' : null }),
        ),
      });
      return;
    }
    const match = /^\/api\/v1\/builds\/([^/]+)\/log$/.exec(req.path);
    if (match && req.query.get('follow') === '1') {
      const id = decodeURIComponent(match[1] ?? '');
      startSse(res);
      res.write(
        sseEvent('status', buildView({ id, status: 'running', startedAt: new Date().toISOString() })),
      );
      res.write(
        sseEvent('progress', {
          done: 1,
          expected: 3,
          running: 1,
          failed: 0,
          phase: 'building',
          activeDrv: '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-1.0.drv',
        }),
      );
      res.write(sseEvent('line', logLine(1, `building ${id}`), 1));
      res.write(sseEvent('line', logLine(2, 'colour \x1b[32mok\x1b[0m'), 2));
      setTimeout(() => res.end(sseEvent('end', finals(id))), 30);
      return;
    }
    sendError(res, 404, 'KILN_ERR_NOT_FOUND', `no route ${req.path}`);
  };
  return fakeServer(t, handler);
}

void describe('runCli: usage', () => {
  void it('prints help with exit code 0', async () => {
    for (const argv of [['--help'], ['help'], ['help', 'build'], ['build', '--help'], ['list', '-h']]) {
      const r = await run(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.stdout, /Usage: kiln/);
      assert.equal(r.stderr, '');
    }
    assert.match((await run(['help', 'build'])).stdout, /--expr 'EXPRESSION'/);
  });

  void it('treats no arguments as a usage error', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: kiln COMMAND/);
  });

  void it('reports unknown options and bad values with exit code 2 and the code', async () => {
    let r = await run(['build', '--expr', 'x', '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: unknown option '--frobnicate' for 'kiln build' \(KILN_ERR_UNKNOWN_OPTION\)\n/,
    );
    assert.match(r.stderr, /Run 'kiln build --help' for usage\./);
    r = await run(['list', '--limit', 'lots']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--limit.*\(KILN_ERR_VALIDATION\)/);
    r = await run(['build', '--expr', 'x', '--env', '9X=1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\(KILN_ERR_ENV_NAME\)/);
    r = await run(['nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'nope' \(KILN_ERR_VALIDATION\)/);
  });

  void it('prints a version', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^kiln \d+\.\d+\.\d+/);
  });
});

void describe('runCli: build', () => {
  void it('submits and prints the id without waiting', async (t) => {
    const { url, seen } = await buildServer(t, succeeded);
    const r = await run([
      'build',
      '--expr',
      'let x = 1; in x',
      '--env',
      'A=1',
      '--label',
      'k=v',
      '--server',
      url,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'b1\n');
    assert.deepEqual(seen[0]?.body, {
      source: { kind: 'expr', expression: 'let x = 1; in x' },
      env: { A: '1' },
      labels: { k: 'v' },
    });
  });

  void it('reads --file client-side and sends its name', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'hello.nix'), 'derivation {}\n');
    const { url, seen } = await buildServer(t, succeeded);
    const r = await run(
      [
        'build',
        '--file',
        'hello.nix',
        '--timeout',
        '60',
        '--max-silent',
        '10',
        '--service',
        'web',
        '--priority',
        '5',
        '--json',
        '--server',
        url,
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen[0]?.body, {
      source: { kind: 'expr', expression: 'derivation {}\n', fileName: 'hello.nix' },
      timeoutSeconds: 60,
      maxSilentSeconds: 10,
      serviceId: 'web',
      priority: 5,
    });
    assert.equal((JSON.parse(r.stdout) as BuildView).id, 'b1');
  });

  void it('fails with KILN_ERR_FILE_NOT_FOUND (exit 2) before contacting the server', async (t) => {
    const dir = tempDir(t);
    const { url, seen } = await buildServer(t, succeeded);
    const r = await run(['build', '--file', 'missing.nix', '--server', url], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: no such file: .*missing\.nix \(KILN_ERR_FILE_NOT_FOUND\)/);
    assert.equal(seen.length, 0);
  });

  void it('--wait --json prints one JSON object, the final build, and exits 0 on success', async (t) => {
    const { url } = await buildServer(t, succeeded);
    const r = await run(['build', '--expr', 'x', '--wait', '--json', '--server', url]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as BuildView;
    assert.equal(result.id, 'b1');
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(result.outputs, ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello']);
    assert.equal(result.durationMs, 2500);
  });

  void it('--wait exits 1 and explains when the build did not succeed', async (t) => {
    const { url } = await buildServer(t, (id) =>
      buildView({
        id,
        status: 'failed',
        error: 'builder exited with code 1',
        durationMs: 1200,
        finishedAt: '2024-05-01T12:00:02.000Z',
      }),
    );
    const r = await run(['build', '--expr', 'x', '--wait', '--server', url]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^build b1 failed after 1\.2s\n {2}error: {4}builder exited with code 1\n$/);
    assert.doesNotMatch(r.stdout, /building b1/);
  });

  void it('several systems give a group object whose status is the first non-success', async (t) => {
    const { url, seen } = await buildServer(
      t,
      (id) =>
        id === 'b1'
          ? succeeded(id, { system: 'x86_64-linux', groupId: 'g1' })
          : buildView({ id, status: 'timed_out', system: 'i686-linux', groupId: 'g1' }),
      ['x86_64-linux', 'i686-linux'],
    );
    const r = await run([
      'build',
      '--expr',
      'x',
      '--system',
      'x86_64-linux',
      '--system',
      'i686-linux',
      '--wait',
      '--json',
      '--server',
      url,
    ]);
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout) as { groupId: string; status: string; builds: BuildView[] };
    assert.equal(result.groupId, 'g1');
    assert.equal(result.status, 'timed_out');
    assert.deepEqual(
      result.builds.map((b) => b.id),
      ['b1', 'b2'],
    );
    assert.deepEqual((seen[0]?.body as { systems: string[] }).systems, ['x86_64-linux', 'i686-linux']);
  });

  void it('--follow streams plain log lines then the summary when not a TTY', async (t) => {
    const { url } = await buildServer(t, succeeded);
    const r = await run(['build', '--expr', 'x', '--follow', '--server', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'building b1\ncolour ok\nbuild b1 succeeded in 2.5s\n  output:   /nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello\n  size:     2.0 KiB\n',
    );
  });

  void it('--follow on a TTY redraws a status line in place under the log', async (t) => {
    const { url } = await buildServer(t, succeeded);
    const r = await run(['build', '--expr', 'x', '--follow', '--server', url], { isTTY: true, columns: 100 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('\r\x1b[K'), 'uses carriage return and erase-line');
    assert.match(r.stdout, /\[\d+:\d\d\] 1\/3 drv · building · hello-1\.0/);
    // Colours survive on a terminal; the log line is printed on a cleared line.
    assert.ok(r.stdout.includes('\r\x1b[Kcolour \x1b[32mok\x1b[0m\n'));
    // The status line is cleared before the summary.
    assert.ok(r.stdout.includes('\r\x1b[Kbuild b1 succeeded in 2.5s\n'));
  });

  void it('--follow --json keeps stdout to the JSON and sends the log to stderr', async (t) => {
    const { url } = await buildServer(t, succeeded);
    const r = await run(['build', '--expr', 'x', '--follow', '--json', '--server', url]);
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as BuildView).status, 'succeeded');
    assert.equal(r.stderr, 'building b1\ncolour ok\n');
  });
});

void describe('runCli: errors and connection', () => {
  void it('prints API errors as "error: MESSAGE (CODE)": 4xx exit 2, 5xx exit 1', async (t) => {
    const { url } = await fakeServer(t, (req, res) => {
      if (req.path.endsWith('/bad')) sendError(res, 404, 'KILN_ERR_NOT_FOUND', 'build bad not found');
      else sendError(res, 500, 'KILN_ERR_INTERNAL', 'database is on fire');
    });
    let r = await run(['status', 'bad', '--server', url]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: build bad not found (KILN_ERR_NOT_FOUND)\n');
    r = await run(['status', 'worse', '--server', url]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: database is on fire (KILN_ERR_INTERNAL)\n');
  });

  void it('exits 1 when the server cannot be reached', async () => {
    const r = await run(['list', '--server', `http://127.0.0.1:${await closedPort()}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot reach the kiln server .*\(KILN_ERR_UNAVAILABLE\)\n$/);
  });

  void it('takes server and token from KILN_SERVER / KILN_TOKEN, flags first', async (t) => {
    const { url, seen } = await fakeServer(t, (_req, res) => sendJson(res, 200, buildView()));
    assert.equal((await run(['status', 'b1'], { env: { KILN_SERVER: url, KILN_TOKEN: 'envtok' } })).code, 0);
    assert.equal(seen[0]?.headers['authorization'], 'Bearer envtok');
    await run(['status', 'b1', '--token', 'flagtok'], { env: { KILN_SERVER: url, KILN_TOKEN: 'envtok' } });
    assert.equal(seen[1]?.headers['authorization'], 'Bearer flagtok');
    const r = await run(['status', 'b1'], { env: { KILN_SERVER: 'nope' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /KILN_SERVER/);
  });

  void it('reads the admin token from --data DIR or ./.kiln', async (t) => {
    const { url, seen } = await fakeServer(t, (_req, res) => sendJson(res, 200, buildView()));
    const data = tempDir(t);
    writeFileSync(join(data, 'admin.token'), 'datatok\n');
    chmodSync(join(data, 'admin.token'), 0o600);
    assert.equal((await run(['status', 'b1', '--server', url, '--data', data])).code, 0);
    assert.equal(seen[0]?.headers['authorization'], 'Bearer datatok');

    const cwd = tempDir(t);
    mkdirSync(join(cwd, '.kiln'));
    writeFileSync(join(cwd, '.kiln', 'admin.token'), 'cwdtok');
    await run(['status', 'b1', '--server', url], { cwd });
    assert.equal(seen[1]?.headers['authorization'], 'Bearer cwdtok');

    // Without any token source no header is sent; a --data without a token file is an error.
    await run(['status', 'b1', '--server', url], { cwd: data + '/nonexistent' });
    assert.equal(seen[2]?.headers['authorization'], undefined);
    const r = await run(['status', 'b1', '--server', url, '--data', join(cwd, 'empty')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /KILN_ERR_FILE_NOT_FOUND/);
  });
});

void describe('runCli: other commands', () => {
  void it('status prints details or JSON', async (t) => {
    const { url } = await fakeServer(t, (_req, res) =>
      sendJson(res, 200, succeeded('b1', { serviceId: 'web' })),
    );
    let r = await run(['status', 'b1', '--server', url]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^id: +b1\nstatus: +succeeded\n/);
    assert.match(r.stdout, /size: +2\.0 KiB/);
    r = await run(['status', 'b1', '--json', '--server', url]);
    assert.equal((JSON.parse(r.stdout) as BuildView).serviceId, 'web');
  });

  void it('logs pages through the log until complete', async (t) => {
    const { url, seen } = await fakeServer(t, (req, res) => {
      const after = Number(req.query.get('after'));
      if (after === 0)
        sendJson(res, 200, { lines: [logLine(1, 'a'), logLine(2, 'b')], nextAfter: 2, complete: false });
      else sendJson(res, 200, { lines: [logLine(3, 'c\x1b[2J')], nextAfter: 3, complete: true });
    });
    const r = await run(['logs', 'b1', '--server', url]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'a\nb\nc\n');
    assert.deepEqual(
      seen.map((s) => s.query.get('after')),
      ['0', '2'],
    );
  });

  void it('logs --follow streams until the end event', async (t) => {
    const { url } = await fakeServer(t, (req, res) => {
      if (req.query.get('follow') !== '1') {
        sendJson(res, 200, buildView({ status: 'running' }));
        return;
      }
      startSse(res);
      res.write(sseEvent('line', logLine(1, 'hello'), 1));
      res.end(sseEvent('end', buildView({ status: 'failed' })));
    });
    const r = await run(['logs', 'b1', '--follow', '--server', url]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'hello\n');
  });

  void it('cancel reports the outcome', async (t) => {
    const { url, seen } = await fakeServer(t, (_req, res) =>
      sendJson(res, 200, buildView({ status: 'cancelled' })),
    );
    const r = await run(['cancel', 'b1', '--server', url]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'cancelled b1\n');
    assert.equal(seen[0]?.method, 'POST');
    assert.equal(seen[0]?.path, '/api/v1/builds/b1/cancel');
  });

  void it('list prints a table or the JSON response', async (t) => {
    const { url, seen } = await fakeServer(t, (_req, res) =>
      sendJson(res, 200, {
        builds: [succeeded('b1'), buildView({ id: 'b2', status: 'running' })],
        nextBefore: null,
      }),
    );
    let r = await run(['list', '--status', 'running,succeeded', '--limit', '2', '--server', url]);
    assert.equal(r.code, 0);
    const rows = r.stdout.trimEnd().split('\n');
    assert.match(rows[0] ?? '', /^ID +STATUS +SOURCE +SERVICE +CREATED +DURATION$/);
    assert.equal(rows.length, 3);
    assert.equal(seen[0]?.query.get('status'), 'running,succeeded');
    r = await run(['list', '--json', '--server', url]);
    assert.equal((JSON.parse(r.stdout) as { builds: BuildView[] }).builds.length, 2);
  });

  void it('stats and cleanup call their endpoints', async (t) => {
    const { url, seen } = await fakeServer(t, (req, res) => {
      if (req.path === '/api/v1/stats') {
        sendJson(res, 200, {
          scope: { serviceId: null, label: 'team=core', since: null },
          total: 2,
          byStatus: { succeeded: 2 },
          successRate: 100,
          averageBuildTimeMs: 1000,
          averageArtifactSize: null,
          averageImageSize: 4096,
          averageBytesPushed: 512,
          lastGoodImage: {
            buildId: 'b1',
            ref: 'reg:5000/app:v1',
            digest: 'sha256:feed',
            finishedAt: '2024-03-01T10:00:00.000Z',
          },
          queueLength: 0,
          workers: { slots: 2, busy: 0, utilization: 0, utilizationWindow: 0.25 },
        });
      } else sendJson(res, 200, { deletedBuilds: 4, removedRoots: 4, keptBuilds: [], dryRun: false });
    });
    let r = await run(['stats', '--label', 'team=core', '--server', url]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /success rate: +100\.0%/);
    assert.match(r.stdout, /workers: +0\/2 busy \(0%\), 25\.0% over the window/);
    assert.match(r.stdout, /avg image size: +4\.0 KiB\n/);
    assert.match(r.stdout, /avg bytes pushed: +512 B\n/);
    assert.match(r.stdout, /last good image: +reg:5000\/app:v1@sha256:feed \(build b1\)\n/);
    assert.equal(seen[0]?.query.get('label'), 'team=core');
    r = await run(['cleanup', '--older-than', '30d', '--server', url]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'deleted 4 builds, removed 4 GC roots\n');
    assert.deepEqual(seen[1]?.body, { olderThan: '30d' });
    r = await run(['cleanup', '--older-than', '2w', '--dry-run', '--json', '--server', url]);
    assert.deepEqual(seen[2]?.body, { olderThan: '2w', dryRun: true });
    assert.equal((JSON.parse(r.stdout) as { deletedBuilds: number }).deletedBuilds, 4);
  });
});
