import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildView } from '../../../src/api/index.js';
import type { CacheHistoryResponse, TimelineResponse } from '../../../src/api/routes/timeline.js';
import { finishedBuild, startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { drvExpr } from '../../helpers/nix.js';

async function submit(app: TestApp, script: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: app.auth,
    payload: { source: { kind: 'expr', expression: drvExpr(script) }, ...extra },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ builds: BuildView[] }>().builds[0]!.id;
}

const sum = <T>(items: readonly T[], value: (item: T) => number): number =>
  items.reduce((total, item) => total + value(item), 0);

describe('GET /api/v1/stats/timeline', () => {
  it('charts real builds: verdicts, build times and worker utilisation in the newest bucket', async (t) => {
    const app = await startTestApp(t, { builds: { concurrency: 3 } });
    const ids = [
      await submit(app, 'sleep 0.3; echo one > $out'),
      await submit(app, 'sleep 0.3; echo two > $out'),
      await submit(app, 'echo broken >&2; exit 1'),
    ];
    const finished = await Promise.all(ids.map((id) => finishedBuild(app, id)));
    assert.deepEqual(
      finished.map((build) => build.status),
      ['succeeded', 'succeeded', 'failed'],
    );

    const before = Date.now();
    const res = await app.app.inject({
      url: '/api/v1/stats/timeline?since=24h&buckets=24',
      headers: app.auth,
    });
    assert.equal(res.statusCode, 200, res.body);
    const timeline = res.json<TimelineResponse>();
    assert.equal(timeline.buckets.length, 24);
    assert.equal(timeline.bucketMs, 3_600_000);
    assert.equal(timeline.slots, 3);
    // Contiguous hourly buckets, the last one holding now.
    for (const [index, bucket] of timeline.buckets.entries()) {
      assert.equal(Date.parse(bucket.end) - Date.parse(bucket.start), 3_600_000);
      if (index > 0) assert.equal(bucket.start, timeline.buckets[index - 1]!.end);
    }
    assert.ok(Date.parse(timeline.until) >= before && Date.parse(timeline.since) <= before - 23 * 3_600_000);

    assert.equal(
      sum(timeline.buckets, (b) => b.succeeded),
      2,
    );
    assert.equal(
      sum(timeline.buckets, (b) => b.failed),
      1,
    );
    const busy = timeline.buckets.filter((bucket) => bucket.finished > 0);
    assert.ok(busy.length >= 1 && busy.length <= 2, 'the builds finished within the last two hours');
    const newest = timeline.buckets.at(-1)!;
    if (busy.length === 1) {
      assert.equal(newest.finished, 3);
      assert.equal(Math.round(newest.successRate ?? 0), 67);
      const durations = finished.filter((b) => b.status === 'succeeded').map((b) => b.durationMs ?? 0);
      assert.equal(newest.averageBuildTimeMs, (durations[0]! + durations[1]!) / 2);
      assert.equal(newest.p95BuildTimeMs, Math.max(...durations));
      assert.ok((newest.utilization ?? 0) > 0, 'the workers were busy');
    }
    for (const bucket of timeline.buckets) {
      assert.ok(bucket.utilization !== null && bucket.utilization >= 0 && bucket.utilization <= 1);
      assert.ok(bucket.queueLength >= 0);
      if (bucket.finished === 0) assert.equal(bucket.successRate, null);
    }
  });

  it('needs an admin token and refuses ranges and bucket counts it cannot chart', async (t) => {
    const app = await startTestApp(t);
    const anonymous = await app.app.inject({ url: '/api/v1/stats/timeline' });
    assert.equal(anonymous.statusCode, 401);
    const defaults = await app.app.inject({ url: '/api/v1/stats/timeline', headers: app.auth });
    assert.equal(defaults.statusCode, 200, defaults.body);
    assert.equal(defaults.json<TimelineResponse>().buckets.length, 28);
    assert.equal(defaults.json<TimelineResponse>().bucketMs, 6 * 3_600_000);
    const refused = {
      'since=0h': 'KILN_ERR_VALIDATION',
      'since=7days': 'KILN_ERR_VALIDATION',
      'since=400d': 'KILN_ERR_VALIDATION',
      'buckets=0': 'KILN_ERR_VALIDATION',
      'buckets=501': 'KILN_ERR_VALIDATION',
      'buckets=x': 'KILN_ERR_VALIDATION',
      'extra=1': 'KILN_ERR_UNKNOWN_OPTION',
    };
    for (const [query, code] of Object.entries(refused)) {
      const res = await app.app.inject({ url: `/api/v1/stats/timeline?${query}`, headers: app.auth });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(res.json<{ error: { code: string } }>().error.code, code, query);
    }
  });
});

describe('GET /api/v1/caches/:name/history', () => {
  it('counts real lookups, hits and uploads of the last five minutes', async (t) => {
    const app = await startTestApp(t);
    await app.kiln.warehouse.createCache({ name: 'main' });
    const id = await submit(app, 'echo pushed > $out', { push: 'main' });
    const build = await finishedBuild(app, id);
    assert.equal(build.status, 'succeeded', build.error ?? '');
    const hashPart = build.outputs[0]!.slice('/nix/store/'.length, '/nix/store/'.length + 32);
    const hit = await app.app.inject({ url: `/cache/main/${hashPart}.narinfo` });
    assert.equal(hit.statusCode, 200, hit.body);
    const miss = await app.app.inject({ url: `/cache/main/${'0'.repeat(32)}.narinfo` });
    assert.equal(miss.statusCode, 404);

    const res = await app.app.inject({
      url: '/api/v1/caches/main/history?since=1h&buckets=12',
      headers: app.auth,
    });
    assert.equal(res.statusCode, 200, res.body);
    const history = res.json<CacheHistoryResponse>();
    assert.equal(history.buckets.length, 12);
    assert.equal(history.bucketMs, 300_000);
    const newest = history.buckets.at(-1)!;
    const active = history.buckets.filter((bucket) => bucket.narinfoHits + bucket.narinfoMisses > 0);
    // The two lookups happened a moment ago: in the newest bucket (or, across a boundary, the one before).
    assert.ok(active.length >= 1);
    assert.equal(
      sum(history.buckets, (b) => b.narinfoHits),
      1,
    );
    assert.equal(
      sum(history.buckets, (b) => b.narinfoMisses),
      1,
    );
    if (active.length === 1) assert.equal(active[0]!.hitRate, 0.5);
    assert.ok(sum(history.buckets, (b) => b.uploads) >= 1, 'the push was counted');
    assert.ok(sum(history.buckets, (b) => b.uploadBytes) > 0);
    assert.ok(Date.parse(newest.end) > Date.now() - 1000);
    for (const bucket of history.buckets) {
      if (bucket.narinfoHits + bucket.narinfoMisses === 0) assert.equal(bucket.hitRate, null);
    }
  });

  it('takes the rights of the cache’s own statistics', async (t) => {
    const app = await startTestApp(t);
    await app.kiln.warehouse.createCache({ name: 'main' });
    const token = async (perm: 'pull' | 'admin') =>
      (await app.kiln.warehouse.createToken({ cache: 'main', perm })).token;
    const url = '/api/v1/caches/main/history';
    assert.equal((await app.app.inject({ url })).statusCode, 401);
    const pull = await app.app.inject({ url, headers: { authorization: `Bearer ${await token('pull')}` } });
    assert.equal(pull.statusCode, 403, pull.body);
    const admin = await app.app.inject({ url, headers: { authorization: `Bearer ${await token('admin')}` } });
    assert.equal(admin.statusCode, 200, admin.body);
    assert.equal(admin.json<CacheHistoryResponse>().buckets.length, 24);
    const missing = await app.app.inject({ url: '/api/v1/caches/nope/history', headers: app.auth });
    assert.equal(missing.statusCode, 404, missing.body);
    const bad = await app.app.inject({ url: `${url}?since=forever`, headers: app.auth });
    assert.equal(bad.statusCode, 400, bad.body);
  });
});
