import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestApp } from '../../helpers/kiln-app.js';

interface View {
  workerId: string;
  options: Record<string, unknown>;
  updatedAt: string;
}

describe('PUT/GET/DELETE /api/v1/workers/:id/cache (central worker cache settings)', () => {
  it('stores, shows and removes one worker’s settings, with coded errors at the edge', async (t) => {
    const test = await startTestApp(t, { workers: false });
    const call = (method: 'GET' | 'PUT' | 'DELETE', id: string, payload?: unknown) =>
      test.app.inject({
        method,
        url: `/api/v1/workers/${id}/cache`,
        headers: test.auth,
        ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
      });
    const key = (await test.kiln.warehouse.createCache({ name: 'local' })).trustedPublicKeys[0]!;

    assert.equal(
      (await call('GET', 'w2')).json<{ error: { code: string } }>().error.code,
      'KILN_ERR_NOT_FOUND',
    );
    const put = await call('PUT', 'w2', {
      cacheUrl: 'http://10.0.0.1:7070/cache/main',
      enableLocalCache: true,
      enableSharedStore: false,
      trustedPublicKeys: [key],
    });
    assert.equal(put.statusCode, 200, put.body);
    const view = put.json<View>();
    assert.equal(view.workerId, 'w2');
    assert.deepEqual(view.options, {
      cacheUrl: 'http://10.0.0.1:7070/cache/main',
      enableLocalCache: true,
      enableSharedStore: false,
      trustedPublicKeys: [key],
    });
    assert.deepEqual((await call('GET', 'w2')).json<View>(), view);
    // In the central store, under the documented key, where every process on the database reads it.
    const raw = JSON.parse((await test.kiln.store.settings.get('worker-cache:w2'))!) as { options: unknown };
    assert.deepEqual(raw.options, view.options);

    // A PUT replaces the whole set.
    assert.deepEqual((await call('PUT', 'w2', { enableSharedStore: true })).json<View>().options, {
      enableSharedStore: true,
    });

    const errors: [unknown, string, number][] = [
      [{ cacheUrl: 'not a url' }, 'KILN_ERR_VALIDATION', 400],
      [{ trustedPublicKeys: ['nonsense'] }, 'KILN_ERR_VALIDATION', 400],
      [{ enableLocalCache: true, localCacheName: 'missing' }, 'KILN_ERR_NOT_FOUND', 404],
      [{ store: '/x' }, 'KILN_ERR_UNKNOWN_OPTION', 400],
    ];
    for (const [payload, expected, status] of errors) {
      const res = await call('PUT', 'w3', payload);
      assert.equal(res.statusCode, status, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json<{ error: { code: string } }>().error.code, expected);
    }
    assert.equal((await call('PUT', 'bad%20id', {})).statusCode, 400);
    assert.equal((await call('GET', 'w3')).statusCode, 404, 'a refused PUT stores nothing');

    const deleted = await call('DELETE', 'w2');
    assert.equal(deleted.statusCode, 204);
    assert.equal((await call('GET', 'w2')).statusCode, 404);
    assert.equal((await call('DELETE', 'w2')).statusCode, 404);

    // Settings damaged in the database are refused on read, not applied.
    await test.kiln.store.settings.set('worker-cache:w4', '{"workerId":"w4","options":{"cacheUrl":3}}');
    const damaged = await call('GET', 'w4');
    assert.equal(damaged.json<{ error: { code: string } }>().error.code, 'KILN_ERR_CONFIG');

    const anonymous = await test.app.inject({ method: 'GET', url: '/api/v1/workers/w2/cache' });
    assert.equal(anonymous.statusCode, 401);
  });
});
