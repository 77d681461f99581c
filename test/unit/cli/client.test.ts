import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLineView } from '../../../src/api/schemas.js';
import { KilnClient } from '../../../src/cli/client.js';
import { ApiError } from '../../../src/cli/errors.js';
import { DEFAULT_TIMING, type WatchTiming } from '../../../src/cli/io.js';
import { watchBuild } from '../../../src/cli/watch.js';
import { KilnError } from '../../../src/errors/index.js';
import {
  buildView,
  closedPort,
  fakeServer,
  logLine,
  sendError,
  sendJson,
  sseEvent,
  startSse,
  succeeded,
} from './fake-server.js';

const FAST: WatchTiming = {
  ...DEFAULT_TIMING,
  reconnectDelayMs: 10,
  pollIntervalMs: 10,
  idleTimeoutMs: 300,
  maxReconnects: 2,
};

void describe('KilnClient requests', () => {
  void it('sends typed requests with the bearer token', async (t) => {
    const { url, seen } = await fakeServer(t, (req, res) => {
      if (req.method === 'POST' && req.path === '/api/v1/builds')
        sendJson(res, 201, { builds: [buildView()] });
      else if (req.path === '/api/v1/builds') sendJson(res, 200, { builds: [], nextBefore: null });
      else if (req.path === '/api/v1/builds/a%2Fb') sendJson(res, 200, buildView({ id: 'a/b' }));
      else if (req.path.endsWith('/log')) sendJson(res, 200, { lines: [], nextAfter: 0, complete: true });
      else if (req.path.endsWith('/cancel')) sendJson(res, 200, buildView({ status: 'cancelled' }));
      else if (req.path === '/api/v1/stats') sendJson(res, 200, { total: 0 });
      else if (req.path === '/api/v1/cleanup')
        sendJson(res, 200, { deletedBuilds: 0, removedRoots: 0, keptBuilds: [], dryRun: true });
      else sendError(res, 404, 'KILN_ERR_NOT_FOUND', 'no route');
    });
    const client = new KilnClient({ server: `${url}/`, token: 'sekrit' });

    const submitted = await client.submitBuild({ source: { kind: 'expr', expression: '1' }, priority: 3 });
    assert.equal(submitted.builds[0]?.id, 'b1');
    assert.deepEqual(seen[0]?.body, { source: { kind: 'expr', expression: '1' }, priority: 3 });
    assert.equal(seen[0]?.headers['authorization'], 'Bearer sekrit');
    assert.equal(seen[0]?.headers['content-type'], 'application/json');

    await client.listBuilds({ statuses: ['failed', 'timed_out'], serviceId: 'web', limit: 5, before: 9 });
    assert.equal(seen[1]?.query.get('status'), 'failed,timed_out');
    assert.equal(seen[1]?.query.get('serviceId'), 'web');
    assert.equal(seen[1]?.query.get('limit'), '5');
    assert.equal(seen[1]?.query.get('before'), '9');

    assert.equal((await client.getBuild('a/b')).id, 'a/b');
    await client.getLog('b1', { after: 4, limit: 10 });
    assert.equal(seen[3]?.query.toString(), 'after=4&limit=10');
    assert.equal((await client.cancelBuild('b1')).status, 'cancelled');
    assert.equal(seen[4]?.method, 'POST');
    await client.stats({ serviceId: 'web', label: 'team=core' });
    assert.equal(seen[5]?.query.get('label'), 'team=core');
    await client.cleanup({ olderThan: '30d', dryRun: true });
    assert.deepEqual(seen[6]?.body, { olderThan: '30d', dryRun: true });
  });

  void it('omits the authorization header without a token', async (t) => {
    const { url, seen } = await fakeServer(t, (_req, res) => sendJson(res, 200, buildView()));
    await new KilnClient({ server: url }).getBuild('b1');
    assert.equal(seen[0]?.headers['authorization'], undefined);
  });

  void it('turns error bodies into ApiError with the server code', async (t) => {
    const { url } = await fakeServer(t, (req, res) => {
      if (req.path.endsWith('/missing')) sendError(res, 404, 'KILN_ERR_NOT_FOUND', 'build missing not found');
      else if (req.path.endsWith('/proxy')) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>bad gateway</html>');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{not json');
      }
    });
    const client = new KilnClient({ server: url });
    await assert.rejects(client.getBuild('missing'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'KILN_ERR_NOT_FOUND');
      assert.equal(err.message, 'build missing not found');
      return true;
    });
    await assert.rejects(client.getBuild('proxy'), {
      name: 'ApiError',
      status: 502,
      code: 'KILN_ERR_INTERNAL',
    });
    await assert.rejects(client.getBuild('garbage'), { code: 'KILN_ERR_INTERNAL', message: /invalid JSON/ });
  });

  void it('reports an unreachable server as KILN_ERR_UNAVAILABLE naming it', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(new KilnClient({ server }).getBuild('b1'), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, 'KILN_ERR_UNAVAILABLE');
      assert.ok(err.message.includes(server), err.message);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  void it('opens the log stream with Last-Event-ID, and rejects a non-stream answer', async (t) => {
    const { url, seen } = await fakeServer(t, (req, res) => {
      if (req.query.get('after') === '5') {
        startSse(res);
        res.end(sseEvent('end', succeeded()));
      } else sendJson(res, 200, { lines: [], nextAfter: 0, complete: true });
    });
    const client = new KilnClient({ server: url });
    const body = await client.openLogStream('b1', { after: 5, lastEventId: '5' });
    const chunks: string[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk).toString('utf8'));
    assert.match(chunks.join(''), /^event: end/);
    assert.equal(seen[0]?.headers['last-event-id'], '5');
    assert.equal(seen[0]?.query.get('follow'), '1');
    assert.equal(seen[0]?.headers['accept'], 'text/event-stream');
    await assert.rejects(client.openLogStream('b1', { after: 0 }), { code: 'KILN_ERR_UNAVAILABLE' });
  });
});

void describe('watchBuild', () => {
  void it('follows the stream to its end event', async (t) => {
    const { url } = await fakeServer(t, (_req, res) => {
      startSse(res);
      res.write('retry: 10\n\n: ping\n\n');
      res.write(sseEvent('status', buildView({ status: 'running' })));
      res.write(sseEvent('line', logLine(1, 'one'), 1));
      // An event cut in the middle: the parser must wait for the rest.
      const progress = sseEvent('progress', {
        done: 1,
        expected: 2,
        running: 1,
        failed: 0,
        phase: 'building',
        activeDrv: null,
      });
      res.write(progress.slice(0, 10));
      setTimeout(() => {
        res.write(progress.slice(10));
        res.write(sseEvent('line', logLine(2, 'two'), 2));
        res.end(sseEvent('end', succeeded()));
      }, 20);
    });
    const lines: string[] = [];
    const statuses: string[] = [];
    const phases: (string | null)[] = [];
    const final = await watchBuild(new KilnClient({ server: url }), 'b1', {
      timing: FAST,
      wantLines: true,
      onLine: (l) => lines.push(l.text),
      onStatus: (b) => statuses.push(b.status),
      onProgress: (p) => phases.push(p.phase),
    });
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(lines, ['one', 'two']);
    assert.deepEqual(statuses, ['running']);
    assert.deepEqual(phases, ['building']);
  });

  void it('reconnects with Last-Event-ID after a drop and delivers each line once', async (t) => {
    let connections = 0;
    const { url, seen } = await fakeServer(t, (req, res) => {
      connections += 1;
      startSse(res);
      if (connections === 1) {
        res.write(sseEvent('line', logLine(1, 'one'), 1));
        res.end(sseEvent('line', logLine(2, 'two'), 2));
        return;
      }
      // A server may resend from an earlier point: the client must skip what it has.
      res.write(sseEvent('line', logLine(2, 'two'), 2));
      res.write(sseEvent('line', logLine(3, 'three'), 3));
      res.end(sseEvent('end', succeeded()));
      assert.equal(req.headers['last-event-id'], '2');
    });
    const lines: LogLineView[] = [];
    const final = await watchBuild(new KilnClient({ server: url }), 'b1', {
      timing: FAST,
      wantLines: true,
      onLine: (l) => lines.push(l),
    });
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(
      lines.map((l) => l.text),
      ['one', 'two', 'three'],
    );
    assert.equal(seen[1]?.headers['last-event-id'], '2');
    assert.equal(seen[1]?.query.get('after'), '2');
  });

  void it('reconnects when the stream goes silent', async (t) => {
    let connections = 0;
    const { url } = await fakeServer(t, (_req, res) => {
      connections += 1;
      startSse(res);
      // The first connection says nothing, ever; the second one finishes.
      if (connections === 1) res.write('');
      else res.end(sseEvent('end', succeeded()));
    });
    const final = await watchBuild(new KilnClient({ server: url }), 'b1', {
      timing: { ...FAST, idleTimeoutMs: 100 },
      wantLines: false,
    });
    assert.equal(final.status, 'succeeded');
    assert.equal(connections, 2);
  });

  void it('falls back to polling when the stream keeps failing', async (t) => {
    let polls = 0;
    const { url } = await fakeServer(t, (req, res) => {
      if (req.query.get('follow') === '1') {
        sendError(res, 503, 'KILN_ERR_UNAVAILABLE', 'streaming is off');
        return;
      }
      if (req.path.endsWith('/log')) {
        const after = Number(req.query.get('after'));
        const all = [logLine(1, 'one'), logLine(2, 'two'), logLine(3, 'three')].filter((l) => l.seq > after);
        const visible = polls < 3 ? all.filter((l) => l.seq <= 1) : all;
        const last = visible[visible.length - 1];
        sendJson(res, 200, { lines: visible, nextAfter: last ? last.seq : after, complete: polls >= 3 });
        return;
      }
      polls += 1;
      sendJson(res, 200, polls < 3 ? buildView({ status: 'running' }) : succeeded());
    });
    const lines: string[] = [];
    const statuses: string[] = [];
    const final = await watchBuild(new KilnClient({ server: url }), 'b1', {
      timing: FAST,
      wantLines: true,
      onLine: (l) => lines.push(l.text),
      onStatus: (b) => statuses.push(b.status),
    });
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(lines, ['one', 'two', 'three']);
    assert.deepEqual(statuses, ['running', 'succeeded']);
  });

  void it('gives up at once on a 4xx answer', async (t) => {
    const { url, seen } = await fakeServer(t, (_req, res) =>
      sendError(res, 404, 'KILN_ERR_NOT_FOUND', 'no such build'),
    );
    await assert.rejects(
      watchBuild(new KilnClient({ server: url }), 'nope', { timing: FAST, wantLines: false }),
      { name: 'ApiError', code: 'KILN_ERR_NOT_FOUND' },
    );
    assert.equal(seen.length, 1);
  });

  void it('stops when aborted', async (t) => {
    const { url } = await fakeServer(t, (_req, res) => {
      startSse(res);
      res.write(': ping\n\n');
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await assert.rejects(
      watchBuild(new KilnClient({ server: url }), 'b1', {
        timing: FAST,
        wantLines: false,
        signal: controller.signal,
      }),
    );
  });
});
