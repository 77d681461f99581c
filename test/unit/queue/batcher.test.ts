import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from '../../../src/queue/index.js';

describe('batcher', () => {
  it('answers each request from its own result', async () => {
    const batcher = new Batcher<number, number>(
      (xs) =>
        Promise.resolve(
          xs.map((x): PromiseSettledResult<number> =>
            x < 0
              ? { status: 'rejected', reason: new Error(`negative ${x}`) }
              : { status: 'fulfilled', value: x * 2 },
          ),
        ),
      { maxConcurrent: 1, maxBatch: 8 },
    );
    const results = await Promise.allSettled([1, -2, 3].map((x) => batcher.submit(x)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [2, 'negative -2', 6],
    );
  });

  it('rejects every request of a batch whose runner throws, and keeps working afterwards', async () => {
    let fail = true;
    const batcher = new Batcher<string, string>(
      (xs) => {
        if (fail) return Promise.reject(new Error('runner broke'));
        return Promise.resolve(
          xs.map((x): PromiseSettledResult<string> => ({ status: 'fulfilled', value: x })),
        );
      },
      { maxConcurrent: 2, maxBatch: 8 },
    );
    await assert.rejects(batcher.submit('a'), /runner broke/);
    fail = false;
    assert.equal(await batcher.submit('b'), 'b');
  });
});
