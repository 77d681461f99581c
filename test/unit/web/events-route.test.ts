// The web UI's server side against a real listening kiln (real Nix, SQLite, HTTP): the shell and
// assets are public, the data APIs are not, and GET /api/v1/events streams every build's status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApiServer, type BuildView } from '../../../src/api/index.js';
import { apiDepsFor } from '../../../src/main/index.js';
import { SseParser, type SseEvent } from '../../../src/web/client/sse.js';
import { startTestApp } from '../../helpers/kiln-app.js';
import { drvExpr, waitFor } from '../../helpers/nix.js';

/** Reads an SSE response in the background, collecting its events and comment lines. */
function collect(response: Response): { events: SseEvent[]; pings: () => number; done: Promise<void> } {
  const events: SseEvent[] = [];
  let raw = '';
  const parser = new SseParser();
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      raw += text;
      events.push(...parser.push(text));
    }
  })().catch(() => undefined); // aborted at the end of the test
  return { events, pings: () => raw.split(': ping\n').length - 1, done };
}

describe('web UI server side', () => {
  it('serves the shell and its assets without a token, and keeps API errors as JSON', async (t) => {
    const test = await startTestApp(t);
    const app = await buildApiServer(apiDepsFor(test.kiln, { logPollMs: 100 }));
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      for (const path of [
        '/',
        '/builds/01abc',
        '/groups/g1',
        '/projects',
        '/caches',
        '/stats',
        '/sign-in',
        '/new',
      ]) {
        const response = await fetch(base + path);
        assert.equal(response.status, 200, path);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path);
        const html = await response.text();
        assert.match(html, /<script type="module" src="\/ui\/js\/main\.js"><\/script>/);
        assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1"/);
      }
      const js = await fetch(`${base}/ui/js/main.js`);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.match(await js.text(), /from '\.\/api\.js'/); // a native ES module, not a bundle
      const css = await fetch(`${base}/ui/app.css`);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      const etag = css.headers.get('etag');
      assert.ok(etag);
      assert.equal((await fetch(`${base}/ui/app.css`, { headers: { 'if-none-match': etag } })).status, 304);

      const missing = await fetch(`${base}/ui/js/nope.js`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'KILN_ERR_NOT_FOUND');
      assert.equal((await fetch(`${base}/ui/..%2fadmin.token`)).status, 400);

      // The data behind the pages still needs the admin token.
      assert.equal((await fetch(`${base}/api/v1/builds`)).status, 401);
      assert.equal((await fetch(`${base}/api/v1/events`)).status, 401);
      const unknownApi = await fetch(`${base}/api/v1/nope`, { headers: test.auth });
      assert.equal(unknownApi.status, 404);
      assert.match(unknownApi.headers.get('content-type') ?? '', /^application\/json/);
    } finally {
      await app.close();
    }
  });

  it('streams every build status change as `event: build` with the BuildView, with keep-alive pings', async (t) => {
    const test = await startTestApp(t);
    const app = await buildApiServer({ ...apiDepsFor(test.kiln, { logPollMs: 100 }), keepAliveMs: 200 });
    const stop = new AbortController();
    const stop2 = new AbortController();
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${base}/api/v1/events`, { headers: test.auth, signal: stop.signal });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const stream = collect(response);

      const submitted = await fetch(`${base}/api/v1/builds`, {
        method: 'POST',
        headers: { ...test.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ source: { kind: 'expr', expression: drvExpr('echo hi; echo hi > $out') } }),
      });
      assert.equal(submitted.status, 201);
      const [build] = ((await submitted.json()) as { builds: BuildView[] }).builds;
      assert.ok(build);

      const statuses = (): string[] =>
        stream.events
          .filter((e) => e.event === 'build')
          .map((e) => JSON.parse(e.data) as BuildView)
          .filter((b) => b.id === build.id)
          .map((b) => b.status);
      await waitFor(() => Promise.resolve(statuses().includes('succeeded')), {
        timeoutMs: 60_000,
        what: 'the succeeded event',
      });
      assert.deepEqual(statuses(), ['pending', 'running', 'succeeded']);
      const last = stream.events.filter((e) => e.event === 'build').at(-1);
      const view = JSON.parse(last?.data ?? '{}') as BuildView;
      assert.equal(view.outputs.length, 1, 'the event carries the record as stored, outputs included');
      assert.equal(view.durationMs !== null, true);

      await waitFor(() => Promise.resolve(stream.pings() >= 2), {
        timeoutMs: 5000,
        what: 'keep-alive pings',
      });

      // A second client sees later changes too; the first one going away does not disturb it.
      stop.abort();
      await stream.done;
      const second = await fetch(`${base}/api/v1/events`, { headers: test.auth, signal: stop2.signal });
      const secondStream = collect(second);
      const another = await fetch(`${base}/api/v1/builds`, {
        method: 'POST',
        headers: { ...test.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ source: { kind: 'expr', expression: drvExpr('sleep 30; echo > $out') } }),
      });
      const [slow] = ((await another.json()) as { builds: BuildView[] }).builds;
      assert.ok(slow);
      await fetch(`${base}/api/v1/builds/${slow.id}/cancel`, { method: 'POST', headers: test.auth });
      await waitFor(
        () =>
          Promise.resolve(
            secondStream.events.some((e) => {
              const b = JSON.parse(e.data) as BuildView;
              return e.event === 'build' && b.id === slow.id && b.status === 'cancelled';
            }),
          ),
        { timeoutMs: 30_000, what: 'the cancelled event' },
      );
    } finally {
      stop.abort();
      stop2.abort();
      await app.close();
    }
  });

  it('reports status changes no event told of (another process whose signal was lost) by polling', async (t) => {
    // No workers here: the only writer is the test, straight into the store, as another node would.
    const test = await startTestApp(t, { workers: false });
    const app = await buildApiServer({ ...apiDepsFor(test.kiln, { logPollMs: 100 }), statusPollMs: 100 });
    const stop = new AbortController();
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${base}/api/v1/events`, { headers: test.auth, signal: stop.signal });
      const stream = collect(response);
      const statusesOf = (id: string): string[] =>
        stream.events
          .filter((e) => e.event === 'build')
          .map((e) => JSON.parse(e.data) as BuildView)
          .filter((b) => b.id === id)
          .map((b) => b.status);
      // Let the poller learn the (empty) queue first.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const id = `elsewhere-${Date.now()}`;
      await test.kiln.store.builds.insert({
        id,
        source: { kind: 'expr', expression: drvExpr('echo > $out') },
        env: {},
        system: null,
        groupId: null,
        serviceId: null,
        labels: {},
        priority: 0,
        timeoutSeconds: 60,
        maxSilentSeconds: 0,
        drvPaths: [],
        createdAt: Date.now(),
      });
      await waitFor(() => Promise.resolve(statusesOf(id).includes('pending')), {
        timeoutMs: 10_000,
        what: 'the pending build from the poll',
      });
      await test.kiln.store.builds.update(id, { status: 'cancelled', finishedAt: Date.now() });
      await waitFor(() => Promise.resolve(statusesOf(id).includes('cancelled')), {
        timeoutMs: 10_000,
        what: 'the cancelled build from the poll',
      });
      assert.deepEqual(statusesOf(id), ['pending', 'cancelled']);
    } finally {
      stop.abort();
      await app.close();
    }
  });
});
