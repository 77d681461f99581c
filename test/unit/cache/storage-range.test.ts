import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { resolveRange } from '../../../src/cache/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const validation = (error: unknown): boolean => isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';

describe('byte ranges', () => {
  it('serves the whole object without a range', () => {
    assert.deepEqual(resolveRange(undefined, 10), { start: 0, end: 9 });
    assert.deepEqual(resolveRange(undefined, 0), { start: 0, end: -1 });
  });

  it('treats the end as inclusive and clamps it to the last byte', () => {
    assert.deepEqual(resolveRange({ start: 0, end: 0 }, 10), { start: 0, end: 0 });
    assert.deepEqual(resolveRange({ start: 3 }, 10), { start: 3, end: 9 });
    assert.deepEqual(resolveRange({ start: 3, end: 100 }, 10), { start: 3, end: 9 });
  });

  it('rejects a start at or past the end, including any range of an empty object', () => {
    assert.throws(() => resolveRange({ start: 10 }, 10), validation);
    assert.throws(() => resolveRange({ start: 0 }, 0), validation);
    assert.throws(
      () => resolveRange({ start: 11, end: 20 }, 10),
      (error: unknown) => isKilnError(error) && error.details?.size === 10,
    );
  });

  it('rejects malformed ranges', () => {
    for (const range of [{ start: -1 }, { start: 2, end: 1 }, { start: 0.5 }, { start: Number.NaN }])
      assert.throws(() => resolveRange(range, 10), validation);
  });

  it('always yields a non-empty span inside the object', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.option(fc.nat(2000)), (size, start, end) => {
        const range = end === null ? { start } : { start, end };
        let span: { start: number; end: number };
        try {
          span = resolveRange(range, size);
        } catch (error) {
          assert.ok(validation(error));
          assert.ok(start >= size || (end !== null && end < start));
          return;
        }
        assert.ok(span.start === start && span.start <= span.end && span.end < size);
      }),
    );
  });
});
