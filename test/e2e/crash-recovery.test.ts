import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { drvExpr, processWithArgExists, waitFor } from '../helpers/nix.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

interface Build {
  id: string;
  status: string;
  attempts: number;
  reason: string | null;
  error: string | null;
  outputs: string[];
}

async function api<T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

async function submit(server: ServerProcess, expression: string): Promise<Build> {
  return (
    await api<{ builds: Build[] }>(server, 'POST', '/api/v1/builds', { source: { kind: 'expr', expression } })
  ).builds[0]!;
}

/** Waits for a build that a restarted server runs again to end, succeeded or failed. */
function waitFinished(server: ServerProcess, id: string): Promise<Build> {
  return waitFor(
    async () => {
      const b = await api<Build>(server, 'GET', `/api/v1/builds/${id}`);
      return b.status === 'succeeded' || b.status === 'failed' ? b : undefined;
    },
    { timeoutMs: 60_000, what: `build ${id} to finish after the restart` },
  );
}

describe('crash recovery with a killed kiln serve', () => {
  it('re-queues a build interrupted by SIGKILL, kills the orphaned Nix process and keeps the log', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'data');
    const marker = `4.${Math.floor(Math.random() * 1e6)}`;
    let server = await startServerProcess(data);
    const build = await submit(
      server,
      drvExpr(`echo before-crash; sleep ${marker}; echo after-sleep; touch $out`),
    );
    await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the builder to sleep' });
    await waitFor(async () => {
      const log = await api<{ lines: { text: string }[] }>(server, 'GET', `/api/v1/builds/${build.id}/log`);
      return log.lines.some((l) => l.text === 'before-crash');
    });
    await server.kill();

    server = await startServerProcess(data);
    t.after(() => server.stop());
    const done = await waitFinished(server, build.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2);
    const log = await api<{ lines: { text: string }[] }>(server, 'GET', `/api/v1/builds/${build.id}/log`);
    const texts = log.lines.map((l) => l.text);
    assert.ok(texts.includes('before-crash'), 'the line logged before the crash survived');
    assert.ok(texts.some((l) => /interrupted/.test(l)));
    assert.ok(texts.includes('after-sleep'));
  });

  it('marks an interrupted build failed with reason interrupted when configured to', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'data');
    const marker = `303.${Math.floor(Math.random() * 1e6)}`;
    let server = await startServerProcess(data, [], { KILN_RECOVERY: 'fail' });
    const build = await submit(server, drvExpr(`sleep ${marker}; touch $out`));
    await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the builder to sleep' });
    await server.kill();
    server = await startServerProcess(data, [], { KILN_RECOVERY: 'fail' });
    t.after(() => server.stop());
    const b = await api<Build>(server, 'GET', `/api/v1/builds/${build.id}`);
    assert.equal(b.status, 'failed');
    assert.equal(b.reason, 'interrupted');
    assert.match(b.error ?? '', /interrupted/);
    // The orphaned builder of the crashed server was stopped on recovery.
    await waitFor(async () => !(await processWithArgExists(`sleep ${marker}`)), { timeoutMs: 5000 });
  });

  it('returns running builds to the queue on a graceful stop (SIGTERM) and finishes them after restart', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-stop-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'data');
    const marker = `3.${Math.floor(Math.random() * 1e6)}`;
    let server = await startServerProcess(data);
    const build = await submit(server, drvExpr(`echo started; sleep ${marker}; touch $out`));
    await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the builder to sleep' });
    await server.stop();
    assert.equal(
      await processWithArgExists(`sleep ${marker}`),
      false,
      'a stopped server leaves no builder behind',
    );

    server = await startServerProcess(data);
    t.after(() => server.stop());
    const done = await waitFinished(server, build.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2);
    const log = await api<{ lines: { text: string }[] }>(server, 'GET', `/api/v1/builds/${build.id}/log`);
    assert.ok(log.lines.some((l) => /returned to the queue/.test(l.text)));
  });
});
