import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { drvExpr, processWithArgExists, waitFor } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

interface Build {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
}

interface Worker {
  id: string;
  node: string;
  pid: number;
  role: string;
  slots: number;
  load: number;
  alive: boolean;
}

// Short leases and heartbeats so a dead worker is noticed in seconds (defaults: 30 s / 5 s / 60 s).
const FAST = {
  KILN_LEASE_MS: '3000',
  KILN_HEARTBEAT_MS: '500',
  KILN_POLL_MS: '200',
  KILN_WORKER_TIMEOUT_MS: '3000',
};

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

/** `kiln workers --json [--all]` against the API process, as a user runs it. */
async function cliWorkers(server: ServerProcess, all = false): Promise<Worker[]> {
  const result = await runCli(
    ['workers', '--json', ...(all ? ['--all'] : []), '--server', server.url, '--token', server.token],
    {},
    30_000,
  );
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { workers: Worker[] }).workers;
}

describe('many workers: an API process and three worker processes on one database', () => {
  it('lists the workers; a build whose worker is killed finishes on another one as attempt 2', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-workers-'));
    const data = join(dir, 'data');
    const processes: ServerProcess[] = [];
    t.after(async () => {
      for (const server of processes.reverse()) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const apiServer = await startServerProcess(data, ['--role', 'api'], { ...FAST, KILN_NODE_ID: 'api' });
    processes.push(apiServer);
    const workers: ServerProcess[] = [];
    for (const n of [1, 2, 3]) {
      const worker = await startServerProcess(data, ['--role', 'worker', '--concurrency', '1'], {
        ...FAST,
        KILN_NODE_ID: `worker-${n}`,
      });
      processes.push(worker);
      workers.push(worker);
    }

    // The registry, through the CLI: three alive workers with one slot each, the API is not one.
    const listed = await cliWorkers(apiServer);
    assert.deepEqual(
      listed.map((w) => [w.node, w.role, w.slots, w.alive]),
      [
        ['worker-1', 'worker', 1, true],
        ['worker-2', 'worker', 1, true],
        ['worker-3', 'worker', 1, true],
      ],
    );
    const table = await runCli(['workers', '--server', apiServer.url, '--token', apiServer.token]);
    assert.match(table.stdout, /^WORKER\s+NODE\s+STATE\s+BUSY/m);
    assert.equal(table.stdout.match(/ alive /g)?.length, 3, table.stdout);

    // A worker serves its health and nothing of the public API.
    const health = (await (await fetch(`${workers[0]!.url}/healthz`)).json()) as Record<string, unknown>;
    assert.equal(health['role'], 'worker');
    assert.equal(health['slots'], 1);
    const noApi = await fetch(`${workers[0]!.url}/api/v1/builds`, {
      headers: { authorization: `Bearer ${apiServer.token}` },
    });
    assert.equal(noApi.status, 404);

    // A build that sleeps; the worker running it is killed mid-build.
    const marker = `6.${Math.floor(Math.random() * 1e6)}`;
    const expression = drvExpr(`echo attempt-begins; sleep ${marker}; echo after-sleep; touch $out`);
    const [build] = (
      await api<{ builds: Build[] }>(apiServer, 'POST', '/api/v1/builds', {
        source: { kind: 'expr', expression },
      })
    ).builds;
    assert.ok(build);
    await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the builder to sleep' });
    const busy = await waitFor(async () => (await cliWorkers(apiServer)).find((w) => w.load === 1), {
      what: 'the registry to show the busy worker',
    });
    const victim = workers.find((w) => w.child.pid === busy.pid);
    assert.ok(victim, `the busy worker ${busy.id} is one of ours`);
    await victim.kill();

    const done = await waitFor(
      async () => {
        const b = await api<Build>(apiServer, 'GET', `/api/v1/builds/${build.id}`);
        return b.status === 'succeeded' || b.status === 'failed' ? b : undefined;
      },
      { timeoutMs: 90_000, what: 'the build to finish on another worker' },
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2);

    const log = await api<{ lines: { stream: string; text: string }[] }>(
      apiServer,
      'GET',
      `/api/v1/builds/${build.id}/log`,
    );
    const texts = log.lines.map((l) => l.text);
    assert.equal(texts.filter((l) => l === 'attempt-begins').length, 2, 'lines of both attempts');
    const expired = texts.find((l) => l.includes(`the lease of worker ${busy.id} expired during attempt 1`));
    assert.ok(expired, texts.join('\n'));
    const marked = texts.find((l) =>
      /^kiln: attempt 2 on worker worker-\d:\S+ after the lease of attempt 1 expired$/.test(l),
    );
    assert.ok(marked, texts.join('\n'));
    assert.ok(!marked.includes(busy.id), 'attempt 2 ran on another worker');
    assert.ok(texts.indexOf(expired) < texts.indexOf(marked));
    assert.ok(texts.includes('after-sleep'));

    // The killed worker drops out of the alive list (it stopped heartbeating) but stays registered.
    const alive = await waitFor(
      async () => {
        const now = await cliWorkers(apiServer);
        return now.length === 2 ? now : undefined;
      },
      { timeoutMs: 30_000, what: 'the killed worker to stop counting as alive' },
    );
    assert.ok(!alive.some((w) => w.id === busy.id));
    const everyone = await cliWorkers(apiServer, true);
    assert.equal(everyone.find((w) => w.id === busy.id)?.alive, false);
    const metrics = await (
      await fetch(`${apiServer.url}/metrics`, { headers: { authorization: `Bearer ${apiServer.token}` } })
    ).text();
    assert.match(metrics, /^kiln_workers_alive 2$/m);
    assert.match(metrics, /^kiln_worker_slots 2$/m);
  });
});
