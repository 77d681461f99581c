/**
 * A kiln cluster on one PostgreSQL database, as separate processes on loopback: one API process,
 * one cache process and three workers, each worker with its own Nix store. Builds go through the
 * API and run on the workers; a worker killed mid-build, a database outage under load and a cache
 * process killed mid-upload are survived without losing or doubling anything.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MK_DERIVATION, nixBuildExpr } from '../helpers/closure.js';
import { drvExpr, nonce, processWithArgExists, waitFor } from '../helpers/nix.js';
import { postgresUnavailableReason, sharedPostgres, type PostgresServer } from '../helpers/postgres.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { nixCopyTo, writeNetrc } from '../helpers/warehouse.js';

const unavailable = postgresUnavailableReason();

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

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function request<T>(
  server: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    // An API that hangs while the database is down fails the test instead of stalling it.
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? null : JSON.parse(text)) as T };
}

async function api<T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await request<T>(server, method, path, body);
  assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function submit(server: ServerProcess, script: string): Promise<Build> {
  const { builds } = await api<{ builds: Build[] }>(server, 'POST', '/api/v1/builds', {
    source: { kind: 'expr', expression: drvExpr(script) },
  });
  assert.ok(builds[0]);
  return builds[0];
}

async function finished(server: ServerProcess, id: string, timeoutMs = 90_000): Promise<Build> {
  return waitFor(
    async () => {
      const build = await request<Build>(server, 'GET', `/api/v1/builds/${id}`).catch(() => undefined);
      if (build?.status !== 200) return undefined;
      return ['pending', 'running'].includes(build.body.status) ? undefined : build.body;
    },
    { timeoutMs, intervalMs: 200, what: `build ${id} to finish` },
  );
}

async function logLines(server: ServerProcess, id: string): Promise<string[]> {
  const log = await api<{ lines: { text: string }[] }>(server, 'GET', `/api/v1/builds/${id}/log`);
  return log.lines.map((line) => line.text);
}

/** `kiln workers --json` against the API process, as a user runs it. */
async function cliWorkers(server: ServerProcess): Promise<Worker[]> {
  const result = await runCli(
    ['workers', '--json', '--server', server.url, '--token', server.token],
    {},
    30_000,
  );
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { workers: Worker[] }).workers;
}

/** Server-Sent Events of one URL, parsed as they arrive, until `stop()` or the stream ends. */
function followEvents(server: ServerProcess, path: string) {
  const events: { event: string; data: string }[] = [];
  const controller = new AbortController();
  const listeners = new Set<() => void>();
  const done = (async () => {
    const res = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${server.token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data });
        for (const listener of listeners) listener();
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return {
    events,
    /** Resolves once `predicate` holds for the events so far. */
    until: (predicate: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        void done.then(() => {
          if (!predicate()) reject(new Error(`the stream ended: ${JSON.stringify(events)}`));
        });
        const check = (): void => {
          if (predicate()) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
      }),
    stop: async () => {
      controller.abort();
      await done;
    },
    done,
  };
}

void describe(
  `a kiln cluster on PostgreSQL${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { skip: unavailable ?? false },
  () => {
    let dir: string;
    let postgres: PostgresServer;
    let apiServer: ServerProcess;
    let cacheServer: ServerProcess;
    const workers: ServerProcess[] = [];
    const processes = new Set<ServerProcess>();
    let common: string[];

    const start = async (args: string[], node: string): Promise<ServerProcess> => {
      const server = await startServerProcess(join(dir, 'data'), [...common, ...args], {
        ...FAST,
        KILN_NODE_ID: node,
      });
      processes.add(server);
      return server;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kiln-pg-cluster-'));
      postgres = await sharedPostgres();
      common = ['--database', await postgres.createDatabase()];
      apiServer = await start(['--role', 'api'], 'api');
      cacheServer = await start(['--role', 'cache'], 'cache');
      for (const n of [1, 2, 3]) {
        workers.push(
          await start(
            ['--role', 'worker', '--concurrency', '1', '--nix-store', join(dir, `store-${n}`)],
            `worker-${n}`,
          ),
        );
      }
    });
    after(async () => {
      await postgres?.start().catch(() => undefined); // a failed outage test must not leave it down
      for (const server of processes) await server.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    });

    void it('runs builds submitted to the API on the workers; a follower of the API hears every line live', async () => {
      const listed = await cliWorkers(apiServer);
      assert.deepEqual(
        listed.map((w) => [w.node, w.role, w.alive]),
        [
          ['worker-1', 'worker', true],
          ['worker-2', 'worker', true],
          ['worker-3', 'worker', true],
        ],
      );

      const statuses = followEvents(apiServer, '/api/v1/events');
      const marker = `5.${Math.floor(Math.random() * 1e6)}`;
      const build = await submit(apiServer, `echo first-line; sleep ${marker}; echo second-line; touch $out`);
      const log = followEvents(apiServer, `/api/v1/builds/${build.id}/log?follow=1`);
      const lines = (): string[] =>
        log.events
          .filter((e) => e.event === 'line')
          .map((e) => (JSON.parse(e.data) as { text: string }).text);
      await log.until(() => lines().includes('first-line'));
      // Live: the first line came while the builder on a worker still sleeps before the second.
      assert.ok(await processWithArgExists(`sleep ${marker}`), 'the builder is still running');
      assert.ok(!lines().includes('second-line'));
      await log.until(() => log.events.some((e) => e.event === 'end'));
      await log.done;
      assert.ok(lines().indexOf('first-line') < lines().indexOf('second-line'));
      assert.deepEqual(lines(), await logLines(apiServer, build.id), 'the stream is the whole log');

      // The API process ran nothing itself; it heard the worker's status changes through the database.
      const seen = (): string[] =>
        statuses.events
          .filter((e) => e.event === 'build')
          .map((e) => JSON.parse(e.data) as Build)
          .filter((b) => b.id === build.id)
          .map((b) => b.status);
      await statuses.until(() => seen().includes('succeeded'));
      await statuses.stop();
      assert.ok(seen().includes('running'), seen().join(','));
      const done = await finished(apiServer, build.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');

      // A few more spread over the workers (each runs one at a time).
      const more = await Promise.all([1, 2, 3, 4].map((n) => submit(apiServer, `sleep 1; echo ${n} > $out`)));
      for (const b of more) assert.equal((await finished(apiServer, b.id)).status, 'succeeded');

      // A template build: the API evaluated it into its store; the worker renders it again into its own.
      const { builds: templated } = await api<{ builds: Build[] }>(apiServer, 'POST', '/api/v1/builds', {
        source: {
          kind: 'template',
          name: 'shell-service',
          values: { name: `web${Math.floor(Math.random() * 1e6)}`, port: '8081' },
        },
      });
      const template = await finished(apiServer, templated[0]!.id);
      assert.equal(template.status, 'succeeded', template.error ?? '');
    });

    void it('finishes a build whose worker is killed mid-build on another worker, with both attempts logged', async () => {
      const marker = `6.${Math.floor(Math.random() * 1e6)}`;
      const build = await submit(
        apiServer,
        `echo attempt-begins; sleep ${marker}; echo after-sleep; touch $out`,
      );
      await waitFor(() => processWithArgExists(`sleep ${marker}`), { what: 'the builder to sleep' });
      const busy = await waitFor(async () => (await cliWorkers(apiServer)).find((w) => w.load === 1), {
        what: 'the registry to show the busy worker',
      });
      const victim = workers.find((w) => w.child.pid === busy.pid);
      assert.ok(victim, `the busy worker ${busy.id} is one of ours`);
      await victim.kill();
      processes.delete(victim);
      workers.splice(workers.indexOf(victim), 1);

      const done = await finished(apiServer, build.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      assert.equal(done.attempts, 2);
      const texts = await logLines(apiServer, build.id);
      assert.equal(texts.filter((l) => l === 'attempt-begins').length, 2, 'lines of both attempts');
      const marked = texts.find((l) =>
        /^kiln: attempt 2 on worker worker-\d:\S+ after the lease of attempt 1 expired$/.test(l),
      );
      assert.ok(marked, texts.join('\n'));
      assert.ok(!marked.includes(busy.id), 'attempt 2 ran on another worker');
      assert.equal(texts.filter((l) => l === 'after-sleep').length, 1, texts.join('\n'));

      // Back to three workers for what follows.
      workers.push(
        await start(
          ['--role', 'worker', '--concurrency', '1', '--nix-store', join(dir, 'store-4')],
          'worker-4',
        ),
      );
    });

    void it('answers 503 with Retry-After while the database is down, and loses or doubles no build', async () => {
      const tag = nonce();
      const before: Build[] = [];
      for (let n = 0; n < 6; n += 1)
        before.push(
          await submit(apiServer, `echo begin-${tag}-${n}; sleep 3; echo end-${tag}-${n}; touch $out`),
        );
      // Under load: builds running on workers and builds queued.
      await waitFor(
        async () => {
          const { builds } = await api<{ builds: Build[] }>(apiServer, 'GET', '/api/v1/builds?limit=50');
          const mine = builds.filter((b) => before.some((m) => m.id === b.id));
          return mine.filter((b) => b.status === 'running').length >= 2;
        },
        { what: 'two builds to run' },
      );

      await postgres.stop();
      const outageEnds = Date.now() + 10_000;
      let answers = 0;
      while (Date.now() < outageEnds) {
        for (const [method, path, body] of [
          ['GET', '/api/v1/builds', undefined],
          ['GET', `/api/v1/builds/${before[0]!.id}`, undefined],
          ['POST', '/api/v1/builds', { source: { kind: 'expr', expression: drvExpr('touch $out') } }],
        ] as const) {
          const answer = await request<{ error?: { code?: string } }>(apiServer, method, path, body);
          assert.equal(answer.status, 503, `${method} ${path}: ${JSON.stringify(answer.body)}`);
          assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/);
          answers += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      assert.ok(answers >= 3);
      await postgres.start();

      // Every process is still there: nothing crashed on a lost connection.
      for (const server of processes) {
        assert.equal(server.child.exitCode, null, server.output());
        assert.doesNotMatch(server.output(), /unhandled|uncaught/i);
      }
      for (const build of before) {
        const done = await finished(apiServer, build.id, 120_000);
        assert.equal(done.status, 'succeeded', `${build.id}: ${done.error ?? ''}`);
        const texts = await logLines(apiServer, build.id);
        const n = before.indexOf(build);
        // It ran to completion at most once: a builder that finished during the outage left its
        // output in the worker's store, so the attempt after it had nothing left to run.
        const ends = texts.filter((l) => l === `end-${tag}-${n}`).length;
        assert.ok(ends <= 1, texts.join('\n'));
        if (done.attempts === 1) assert.equal(ends, 1, texts.join('\n'));
        assert.ok(texts.filter((l) => l === `begin-${tag}-${n}`).length <= done.attempts, texts.join('\n'));
        assert.equal(
          texts.filter((l) => l.startsWith('kiln: built /nix/store/')).length,
          1,
          texts.join('\n'),
        );
      }
      await waitFor(async () => (await cliWorkers(apiServer)).length === 3, {
        timeoutMs: 30_000,
        what: 'three workers alive again',
      });
    });

    void it('serves no narinfo without its NAR after the cache process is killed mid-upload', async () => {
      const token = (
        await runCli(
          ['cache', 'create', 'cluster', '--server', apiServer.url, '--token', apiServer.token],
          {},
          30_000,
        )
      ).code;
      assert.equal(token, 0);
      const push = await runCli(
        [
          'token',
          'create',
          '--cache',
          'cluster',
          '--perm',
          'push',
          '--server',
          apiServer.url,
          '--token',
          apiServer.token,
        ],
        {},
        30_000,
      );
      assert.equal(push.code, 0, push.stderr);
      const netrc = writeNetrc(dir, push.stdout.trim());

      // A closure of 12 paths of 4 MB of random bytes each (uncompressed uploads: no xz time).
      const tag = nonce();
      const lets = Array.from({ length: 12 }, (_, i) => {
        const dep = i > 0 ? `echo \${p${i - 1}} > $out/dep; ` : '';
        return `  p${i} = mk "blob-${tag}-${i}" "mkdir $out; ${dep}head -c 4000000 /dev/urandom > $out/blob";`;
      }).join('\n');
      const [top] = nixBuildExpr(`let\n  ${MK_DERIVATION}\n${lets}\nin p11\n`);
      const closure = execFileSync('nix-store', ['--query', '--requisites', top!], { encoding: 'utf8' })
        .trim()
        .split('\n');
      assert.equal(closure.length, 12);
      const hashOf = (path: string): string => path.slice('/nix/store/'.length, '/nix/store/'.length + 32);

      const narinfoOf = async (server: ServerProcess, path: string): Promise<string | undefined> => {
        const res = await fetch(`${server.url}/cache/cluster/${hashOf(path)}.narinfo`);
        return res.status === 200 ? res.text() : undefined;
      };
      const url = (server: ServerProcess): string => `${server.url}/cache/cluster?compression=none`;

      const copy = nixCopyTo(url(cacheServer), [top!], netrc);
      // Killed once some paths are in and before all are.
      await waitFor(
        async () => {
          let present = 0;
          for (const path of closure) if ((await narinfoOf(cacheServer, path)) !== undefined) present += 1;
          return present >= 2;
        },
        { intervalMs: 50, what: 'the upload to be part-way' },
      );
      await cacheServer.kill();
      processes.delete(cacheServer);
      const interrupted = await copy;
      assert.notEqual(interrupted.code, 0, 'nix copy saw the cache process die');

      cacheServer = await start(['--role', 'cache'], 'cache');
      let listed = 0;
      for (const path of closure) {
        const narinfo = await narinfoOf(cacheServer, path);
        if (narinfo === undefined) continue;
        listed += 1;
        const narUrl = /^URL: (.*)$/m.exec(narinfo)?.[1];
        assert.ok(narUrl, narinfo);
        const nar = await fetch(`${cacheServer.url}/cache/cluster/${narUrl}`);
        assert.equal(
          nar.status,
          200,
          `${path}: its narinfo is served, its NAR ${narUrl} answers ${nar.status}`,
        );
        await nar.body?.cancel();
      }
      assert.ok(listed < closure.length, 'the first copy did not complete');

      const again = await nixCopyTo(url(cacheServer), [top!], netrc);
      assert.equal(again.code, 0, again.stderr);
      for (const path of closure) assert.ok(await narinfoOf(cacheServer, path), `${path} is in the cache`);
    });
  },
);
