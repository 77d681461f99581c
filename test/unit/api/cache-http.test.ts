import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRangeHeader } from '../../../src/api/routes/cache-protocol.js';
import { isTraversal } from '../../../src/api/server.js';

describe('Range headers', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('reads the forms Nix and curl send', () => {
    assert.equal(parseRangeHeader(undefined, 100), undefined);
    assert.deepEqual(parseRangeHeader('bytes=10-19', 100), { start: 10, end: 19 });
    assert.deepEqual(parseRangeHeader('bytes=10-', 100), { start: 10 });
    assert.deepEqual(parseRangeHeader('bytes=-30', 100), { start: 70 });
    assert.deepEqual(parseRangeHeader('bytes=-300', 100), { start: 0 });
  });

  it('sends the whole object for forms it does not serve partially', () => {
    for (const header of ['bytes=0-1,5-6', 'items=0-1', 'bytes=9-3', 'bytes=-', 'nonsense']) {
      assert.equal(parseRangeHeader(header, 100), undefined, header);
    }
  });

  it('answers 416 for a range past the end', () => {
    assert.equal(
      code(() => parseRangeHeader('bytes=100-', 100)),
      'KILN_ERR_RANGE',
    );
    assert.equal(
      code(() => parseRangeHeader('bytes=-0', 100)),
      'KILN_ERR_RANGE',
    );
  });
});

describe('path traversal', () => {
  it('flags .. segments and encoded dots, slashes and backslashes', () => {
    for (const path of ['/a/../b', '/..', '/a/./b', '/a/%2e%2e/b', '/a/%2F', '/a%5cb', '/a\\b', '/a/%2E']) {
      assert.ok(isTraversal(path), path);
    }
    for (const path of ['/cache/main/nar/x.nar.xz', '/cache/main/abc.narinfo', '/api/v1/builds', '/a..b/c']) {
      assert.ok(!isTraversal(path), path);
    }
  });
});
