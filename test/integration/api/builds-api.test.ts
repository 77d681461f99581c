import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BuildView, ListBuildsResponse, LogResponse, StatsResponse } from '../../../src/api/index.js';
import { startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { drvExpr, nonce, processWithArgExists, waitFor } from '../../helpers/nix.js';

const run = promisify(execFile);

async function submit(t: TestApp, body: Record<string, unknown>): Promise<BuildView> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/builds', headers: t.auth, payload: body });
  assert.equal(res.statusCode, 201, res.body);
  const builds = res.json<{ builds: BuildView[] }>().builds;
  assert.equal(builds.length, 1);
  return builds[0]!;
}

async function getBuild(t: TestApp, id: string): Promise<BuildView> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: t.auth });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<BuildView>();
}

const TERMINAL = ['succeeded', 'failed', 'cancelled', 'timed_out', 'superseded'];
function waitTerminal(t: TestApp, id: string, timeoutMs = 30_000): Promise<BuildView> {
  return waitFor(
    async () => {
      const b = await getBuild(t, id);
      return TERMINAL.includes(b.status) ? b : undefined;
    },
    { timeoutMs, what: `build ${id} to finish` },
  );
}

async function logText(t: TestApp, id: string): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/builds/${id}/log`, headers: t.auth });
  assert.equal(res.statusCode, 200, res.body);
  return res
    .json<LogResponse>()
    .lines.map((l) => l.text)
    .join('\n');
}

describe('HTTP API with real Nix', () => {
  it('needs a token for every API call but serves the OpenAPI document', async (t) => {
    const app = await startTestApp(t);
    const none = await app.app.inject({ method: 'GET', url: '/api/v1/builds' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json<{ error: { code: string } }>().error.code, 'KILN_ERR_UNAUTHORIZED');
    const wrong = await app.app.inject({
      method: 'GET',
      url: '/api/v1/builds',
      headers: { authorization: 'Bearer kiln_not-a-real-token' },
    });
    assert.equal(wrong.statusCode, 401);
    const basic = await app.app.inject({
      method: 'GET',
      url: '/api/v1/builds',
      headers: { authorization: `Basic ${Buffer.from(`admin:${app.token}`).toString('base64')}` },
    });
    assert.equal(basic.statusCode, 200);
    const doc = await app.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(doc.statusCode, 200);
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    for (const p of [
      '/api/v1/builds',
      '/api/v1/builds/{id}',
      '/api/v1/builds/{id}/log',
      '/api/v1/builds/{id}/cancel',
      '/api/v1/stats',
      '/api/v1/cleanup',
    ]) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }
  });

  it('serves Prometheus metrics to the admin token', async (t) => {
    const app = await startTestApp(t);
    const b = await submit(app, { source: { kind: 'expr', expression: drvExpr('touch $out') } });
    await waitTerminal(app, b.id);
    assert.equal((await app.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const res = await app.app.inject({ method: 'GET', url: '/metrics', headers: app.auth });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^kiln_builds\{status="succeeded"\} 1$/m);
    assert.match(res.body, /^kiln_queue_length 0$/m);
    assert.match(res.body, /^kiln_worker_slots \d+$/m);
  });

  it('builds an expression, passes env vars to the builder and records outputs, size and steps', async (t) => {
    const app = await startTestApp(t);
    const submitted = await submit(app, {
      source: {
        kind: 'expr',
        expression: drvExpr('echo building; echo "$NODE_ENV" > $out'),
        fileName: 'app.nix',
      },
      env: { NODE_ENV: 'production' },
      serviceId: 'svc-env',
    });
    assert.ok(['pending', 'running'].includes(submitted.status));
    assert.deepEqual(submitted.envNames, ['NODE_ENV']);
    const done = await waitTerminal(app, submitted.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.outputs.length, 1);
    assert.equal(readFileSync(done.outputs[0]!, 'utf8').trim(), 'production');
    assert.ok(done.artifactSize !== null && done.artifactSize > 0);
    assert.equal(done.exitCode, 0);
    assert.ok(done.durationMs !== null && done.durationMs >= 0);
    assert.ok(done.startedAt && done.finishedAt && done.createdAt <= done.startedAt);
    assert.deepEqual(
      done.steps?.map((s) => [s.name, s.status]),
      [
        ['realise', 'succeeded'],
        ['closure-size', 'succeeded'],
      ],
    );
    assert.equal(done.progress.done, 1);
    assert.match(await logText(app, submitted.id), /building/);
    // The output is rooted, so nix-collect-garbage keeps it until cleanup.
    assert.ok(existsSync(join(app.dataDir, 'gcroots', submitted.id)));
  });

  it('rejects bad input with specific codes and queues nothing', async (t) => {
    const app = await startTestApp(t, { builds: { maxExpressionBytes: 1024 * 1024 } });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ source: { kind: 'expr', expression: 'derivation { name = ' } }, 422, 'KILN_ERR_EXPR_PARSE'],
      [
        { source: { kind: 'expr', expression: 'builtins.throw "no such package"' } },
        422,
        'KILN_ERR_EXPR_EVAL',
      ],
      [{ source: { kind: 'expr', expression: '{ a = 1; }.b' } }, 422, 'KILN_ERR_EXPR_EVAL'],
      [
        { source: { kind: 'expr', expression: drvExpr('touch $out') }, timeoutSeconds: 3601 },
        400,
        'KILN_ERR_TIMEOUT_RANGE',
      ],
      [
        { source: { kind: 'expr', expression: drvExpr('touch $out') }, env: { '1BAD': 'x' } },
        400,
        'KILN_ERR_ENV_NAME',
      ],
      [
        { source: { kind: 'expr', expression: drvExpr('touch $out') }, env: { 'A-B': 'x' } },
        400,
        'KILN_ERR_ENV_NAME',
      ],
      [
        { source: { kind: 'expr', expression: drvExpr('touch $out') }, colour: 'red' },
        400,
        'KILN_ERR_UNKNOWN_OPTION',
      ],
      [
        { source: { kind: 'expr', expression: `# ${'x'.repeat(10 * 1024 * 1024)}\n1` } },
        413,
        'KILN_ERR_EXPR_TOO_LARGE',
      ],
      [
        { source: { kind: 'expr', expression: drvExpr('touch $out') }, timeoutSeconds: 'soon' },
        400,
        'KILN_ERR_VALIDATION',
      ],
    ];
    for (const [body, status, code] of cases) {
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/v1/builds',
        headers: app.auth,
        payload: body,
      });
      assert.equal(res.statusCode, status, `${code}: ${res.body.slice(0, 300)}`);
      const error = res.json<{ error: { code: string; message: string } }>().error;
      assert.equal(error.code, code, error.message);
      assert.ok(error.message.length > 5);
    }
    const parse = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: { source: { kind: 'expr', expression: 'derivation { name = ' } },
    });
    assert.match(parse.json<{ error: { message: string } }>().error.message, /unexpected|syntax/i);
    const list = await app.app.inject({ method: 'GET', url: '/api/v1/builds', headers: app.auth });
    assert.deepEqual(list.json<ListBuildsResponse>().builds, []);
    assert.equal(await app.kiln.store.builds.countByStatus('pending'), 0);
  });

  it('gives each submission of a burst its own verdict', async (t) => {
    const app = await startTestApp(t);
    const bodies = [
      { source: { kind: 'expr', expression: drvExpr('touch $out') } },
      { source: { kind: 'expr', expression: 'let x = ; in x' } },
      {
        source: { kind: 'expr', expression: drvExpr('echo "$GREETING" > $out') },
        env: { GREETING: 'hello' },
      },
      { source: { kind: 'expr', expression: 'builtins.throw "burst member fails"' } },
      ...Array.from({ length: 8 }, () => ({ source: { kind: 'expr', expression: drvExpr('touch $out') } })),
    ];
    const responses = await Promise.all(
      bodies.map((payload) =>
        app.app.inject({ method: 'POST', url: '/api/v1/builds', headers: app.auth, payload }),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      [201, 422, 201, 422, ...Array<number>(8).fill(201)],
    );
    assert.equal(responses[1]!.json<{ error: { code: string } }>().error.code, 'KILN_ERR_EXPR_PARSE');
    assert.match(responses[3]!.json<{ error: { message: string } }>().error.message, /burst member fails/);
    const ids = responses
      .filter((r) => r.statusCode === 201)
      .map((r) => r.json<{ builds: BuildView[] }>().builds[0]!.id);
    assert.equal(new Set(ids).size, 10);
    const done = await Promise.all(ids.map((id) => waitTerminal(app, id)));
    assert.ok(done.every((b) => b.status === 'succeeded'));
    assert.equal(readFileSync(done[1]!.outputs[0]!, 'utf8').trim(), 'hello');
  });

  it('reports a failing builder with its exit code and last log lines', async (t) => {
    const app = await startTestApp(t);
    const b = await submit(app, {
      source: {
        kind: 'expr',
        expression: drvExpr('echo compiling; echo "error: missing semicolon in main.c"; exit 3'),
      },
    });
    const done = await waitTerminal(app, b.id);
    assert.equal(done.status, 'failed');
    assert.ok(done.exitCode !== null && done.exitCode !== 0);
    assert.match(done.error ?? '', /missing semicolon in main\.c/);
    assert.match(done.error ?? '', /exit code 3/);
  });

  it('times out by wall clock and by silence', async (t) => {
    const app = await startTestApp(t);
    const slow = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('echo start; sleep 30; touch $out') },
      timeoutSeconds: 2,
    });
    const silent = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('echo start; sleep 30; touch $out') },
      maxSilentSeconds: 1,
    });
    const slowDone = await waitTerminal(app, slow.id);
    assert.equal(slowDone.status, 'timed_out');
    assert.match(slowDone.error ?? '', /timed out/);
    const silentDone = await waitTerminal(app, silent.id);
    assert.equal(silentDone.status, 'timed_out');
    assert.equal(silentDone.reason, 'silent-timeout');
  });

  it('cancels a running build within 5 s and leaves no process behind', async (t) => {
    const app = await startTestApp(t);
    const marker = `300.${Math.floor(Math.random() * 1e6)}`;
    const b = await submit(app, {
      source: { kind: 'expr', expression: drvExpr(`echo sleeping; sleep ${marker}; touch $out`) },
    });
    await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the builder to start sleeping' });
    const started = Date.now();
    const res = await app.app.inject({
      method: 'POST',
      url: `/api/v1/builds/${b.id}/cancel`,
      headers: app.auth,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<BuildView>().status, 'cancelled');
    await waitFor(async () => !(await processWithArgExists(`sleep ${marker}`)), {
      timeoutMs: 5000,
      what: 'the sleep process to go away',
    });
    assert.ok(Date.now() - started < 5000);
    const after = await getBuild(app, b.id);
    assert.equal(after.status, 'cancelled');
    const again = await app.app.inject({
      method: 'POST',
      url: `/api/v1/builds/${b.id}/cancel`,
      headers: app.auth,
    });
    assert.equal(again.statusCode, 409);
    // The worker slot is free again: a new build runs to completion.
    const next = await submit(app, { source: { kind: 'expr', expression: drvExpr('touch $out') } });
    assert.equal((await waitTerminal(app, next.id)).status, 'succeeded');
  });

  it('cancelling a pending build takes it out of the queue', async (t) => {
    const app = await startTestApp(t, { builds: { concurrency: 1 } });
    const marker = `301.${Math.floor(Math.random() * 1e6)}`;
    const blocker = await submit(app, {
      source: { kind: 'expr', expression: drvExpr(`sleep ${marker}; touch $out`) },
    });
    await waitFor(async () => (await getBuild(app, blocker.id)).status === 'running');
    const queued = await submit(app, { source: { kind: 'expr', expression: drvExpr('touch $out') } });
    assert.equal(queued.status, 'pending');
    const res = await app.app.inject({
      method: 'POST',
      url: `/api/v1/builds/${queued.id}/cancel`,
      headers: app.auth,
    });
    assert.equal(res.json<BuildView>().status, 'cancelled');
    assert.equal(await app.kiln.store.builds.countByStatus('pending'), 0);
    await app.app.inject({ method: 'POST', url: `/api/v1/builds/${blocker.id}/cancel`, headers: app.auth });
    const final = await getBuild(app, queued.id);
    assert.equal(final.status, 'cancelled');
    assert.equal(final.attempts, 0);
    assert.equal(final.startedAt, null);
    await waitFor(async () => !(await processWithArgExists(`sleep ${marker}`)), { timeoutMs: 5000 });
  });

  it('builds x86_64-linux and i686-linux side by side', async (t) => {
    const app = await startTestApp(t, { builds: { concurrency: 2 } });
    const a = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('uname -m > $out', { system: 'x86_64-linux' }) },
    });
    const b = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('uname -m > $out', { system: 'i686-linux' }) },
    });
    const [da, db] = await Promise.all([waitTerminal(app, a.id), waitTerminal(app, b.id)]);
    assert.equal(readFileSync(da.outputs[0]!, 'utf8').trim(), 'x86_64');
    assert.equal(readFileSync(db.outputs[0]!, 'utf8').trim(), 'i686');
  });

  it('builds one expression for several systems as a group', async (t) => {
    const app = await startTestApp(t);
    const expr = `derivation { name = "multi"; system = builtins.currentSystem; builder = "/bin/sh"; nonce = "${nonce()}"; args = [ "-c" "uname -m > $out" ]; }`;
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: { source: { kind: 'expr', expression: expr }, systems: ['x86_64-linux', 'i686-linux'] },
    });
    assert.equal(res.statusCode, 201, res.body);
    const builds = res.json<{ builds: BuildView[] }>().builds;
    assert.equal(builds.length, 2);
    assert.ok(builds[0]!.groupId && builds[0]!.groupId === builds[1]!.groupId);
    const done = await Promise.all(builds.map((b) => waitTerminal(app, b.id)));
    assert.deepEqual(done.map((d) => readFileSync(d.outputs[0]!, 'utf8').trim()).sort(), ['i686', 'x86_64']);
  });

  it('streams a finished build log as Server-Sent Events ending with the final record', async (t) => {
    const app = await startTestApp(t);
    const b = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('for i in 1 2 3; do echo line-$i; done; touch $out') },
    });
    await waitTerminal(app, b.id);
    const res = await app.app.inject({
      method: 'GET',
      url: `/api/v1/builds/${b.id}/log?follow=1`,
      headers: app.auth,
    });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/event-stream/);
    const body = res.body;
    for (const n of [1, 2, 3]) assert.match(body, new RegExp(`"text":"line-${n}"`));
    assert.match(body, /event: end\ndata: \{[^\n]*"status":"succeeded"/);
    const text = await app.app.inject({
      method: 'GET',
      url: `/api/v1/builds/${b.id}/log?format=text`,
      headers: app.auth,
    });
    assert.match(text.body, /line-1\nline-2\nline-3\n/);
  });

  it('caps a huge log, keeping head and tail with a marker', async (t) => {
    const app = await startTestApp(t, { builds: { logCapBytes: 8192 } });
    const b = await submit(app, {
      source: {
        kind: 'expr',
        expression: drvExpr(
          'i=0; while [ $i -lt 3000 ]; do echo "log line number $i"; i=$((i+1)); done; touch $out',
        ),
      },
    });
    assert.equal((await waitTerminal(app, b.id)).status, 'succeeded');
    const text = await logText(app, b.id);
    assert.match(text, /log line number 0\n/);
    assert.match(text, /log line number 2999/);
    assert.match(text, /dropped/);
    const lines = text.split('\n').filter((l) => !/dropped/.test(l));
    const storedBytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0);
    assert.ok(storedBytes <= 8192, `stored ${storedBytes} bytes`);
    assert.equal(text.match(/dropped/g)?.length, 1);
  });

  it('computes statistics per service and cleans up old builds but keeps the newest success', async (t) => {
    const app = await startTestApp(t);
    const ok1 = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('touch $out') },
      serviceId: 'svc-a',
    });
    const ok1Done = await waitTerminal(app, ok1.id);
    const ok2 = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('touch $out') },
      serviceId: 'svc-a',
    });
    const ok2Done = await waitTerminal(app, ok2.id);
    const bad = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('exit 1') },
      serviceId: 'svc-a',
    });
    await waitTerminal(app, bad.id);
    const other = await submit(app, {
      source: { kind: 'expr', expression: drvExpr('touch $out') },
      serviceId: 'svc-b',
    });
    await waitTerminal(app, other.id);

    const stats = await app.app.inject({
      method: 'GET',
      url: '/api/v1/stats?serviceId=svc-a',
      headers: app.auth,
    });
    const s = stats.json<StatsResponse>();
    assert.equal(s.total, 3);
    assert.equal(s.byStatus['succeeded'], 2);
    assert.ok(Math.abs((s.successRate ?? 0) - 200 / 3) < 0.01);
    assert.ok((s.averageArtifactSize ?? 0) > 0);
    assert.equal(s.queueLength, 0);
    assert.equal(s.workers.slots, app.kiln.pool.slots);

    await new Promise((r) => setTimeout(r, 1100));
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/cleanup',
      headers: app.auth,
      payload: { olderThan: '1s' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const result = res.json<{ deletedBuilds: number; keptBuilds: string[] }>();
    assert.equal(result.deletedBuilds, 2);
    assert.deepEqual(result.keptBuilds.sort(), [ok2.id, other.id].sort());
    assert.ok(!existsSync(join(app.dataDir, 'gcroots', ok1.id)));
    assert.ok(existsSync(join(app.dataDir, 'gcroots', ok2.id)));
    // Nix's own garbage collector agrees: the old output is now collectable, the kept one is not.
    const { stdout: dead } = await run('nix-store', ['--gc', '--print-dead'], { maxBuffer: 1 << 26 });
    const ok1Output = ok1Done.outputs[0]!;
    assert.ok(dead.split('\n').includes(ok1Output), `${ok1Output} is collectable`);
    assert.ok(!dead.split('\n').includes(ok2Done.outputs[0]!), 'the newest success stays rooted');
    const gone = await app.app.inject({ method: 'GET', url: `/api/v1/builds/${ok1.id}`, headers: app.auth });
    assert.equal(gone.statusCode, 404);
    const badDuration = await app.app.inject({
      method: 'POST',
      url: '/api/v1/cleanup',
      headers: app.auth,
      payload: { olderThan: 'ages' },
    });
    assert.equal(badDuration.statusCode, 400);
  });
});
