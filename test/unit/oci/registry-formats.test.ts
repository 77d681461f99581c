import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffDelayMs,
  chunkRanges,
  formatContentRange,
  parseImageReference,
  parseWwwAuthenticate,
  registryScheme,
  retryAfterMs,
} from '../../../src/oci/registry/index.js';
import { effectiveChunkSize } from '../../../src/oci/registry/chunks.js';
import { isRetryableConnectionError, isRetryableStatus } from '../../../src/retry/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it('splits registry, repository, tag and digest', () => {
    assert.deepEqual(parseImageReference('127.0.0.1:5000/app'), {
      registry: '127.0.0.1:5000',
      repository: 'app',
      tag: 'latest',
      digest: undefined,
    });
    assert.deepEqual(parseImageReference(`registry.example.com/team/sub/app:v1.2_3-x@${DIGEST}`), {
      registry: 'registry.example.com',
      repository: 'team/sub/app',
      tag: 'v1.2_3-x',
      digest: DIGEST,
    });
    assert.deepEqual(parseImageReference(`localhost/app@${DIGEST}`), {
      registry: 'localhost',
      repository: 'app',
      tag: undefined,
      digest: DIGEST,
    });
    assert.equal(parseImageReference('[::1]:5000/a/b:t').registry, '[::1]:5000');
    assert.equal(parseImageReference('localhost:5000/a__b.c-d---e').repository, 'a__b.c-d---e');
  });

  it('uses the default registry only when the first component is not a registry', () => {
    assert.deepEqual(parseImageReference('team/app:1', 'reg.io'), {
      registry: 'reg.io',
      repository: 'team/app',
      tag: '1',
      digest: undefined,
    });
    assert.throws(() => parseImageReference('team/app:1'), /must start with a registry/);
  });

  for (const [bad, why] of [
    ['127.0.0.1:5000/App', /lowercase/],
    ['127.0.0.1:5000/a..b', /lowercase/],
    ['127.0.0.1:5000/a/', /lowercase/],
    ['127.0.0.1:5000/_a', /lowercase/],
    ['127.0.0.1:5000/a___b', /lowercase/],
    ['127.0.0.1:5000/a:-tag', /tag '-tag'/],
    [`127.0.0.1:5000/a:${'t'.repeat(129)}`, /tag/],
    ['127.0.0.1:5000/a@sha256:abc', /not a digest/],
    [`127.0.0.1:5000/a@sha256:${'A'.repeat(64)}`, /not a digest/],
    ['127.0.0.1:99999/a', /not a registry/],
    ['bad_host.com/a', /not a registry/],
    [' 127.0.0.1:5000/a', /padded/],
    [`r.io/${'a'.repeat(260)}`, /longer than 255/],
  ] as const) {
    it(`rejects ${bad.slice(0, 40)}`, () => {
      assert.throws(
        () => parseImageReference(bad),
        (e: Error & { code?: string }) => e.code === 'KILN_ERR_VALIDATION' && why.test(e.message),
      );
    });
  }

  it('speaks plain HTTP to loopback and configured insecure registries only', () => {
    for (const r of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'localhost'])
      assert.equal(registryScheme(r), 'http', r);
    assert.equal(registryScheme('reg.io:5000'), 'https');
    assert.equal(registryScheme('10.0.0.5:5000', ['10.0.0.5:5000']), 'http');
    assert.equal(registryScheme('10.0.0.5:5000', ['10.0.0.5']), 'http');
    assert.equal(registryScheme('10.0.0.5:5000', ['10.0.0.5:6000']), 'https');
    assert.equal(registryScheme('localhost.evil.com', []), 'https');
  });
});

describe('WWW-Authenticate', () => {
  it('parses the Bearer challenge with a quoted comma in the scope', () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:samalba/my-app:pull,push',
          },
        },
      ],
    );
  });

  it('parses several challenges, odd spacing, unquoted values, escapes and case', () => {
    assert.deepEqual(
      parseWwwAuthenticate('BASIC Realm = "a \\"b\\"" ,  Bearer realm=https://x/t, error=invalid_token'),
      [
        { scheme: 'basic', params: { realm: 'a "b"' } },
        { scheme: 'bearer', params: { realm: 'https://x/t', error: 'invalid_token' } },
      ],
    );
  });

  it('parses token68 challenges and an array of header values', () => {
    assert.deepEqual(parseWwwAuthenticate(['Negotiate abc+/==', 'Basic realm="r"']), [
      { scheme: 'negotiate', params: {}, token68: 'abc+/==' },
      { scheme: 'basic', params: { realm: 'r' } },
    ]);
  });

  it('survives empty, missing and truncated headers', () => {
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.deepEqual(parseWwwAuthenticate(', ,Basic'), [{ scheme: 'basic', params: {} }]);
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="unterminated'), [
      { scheme: 'bearer', params: { realm: 'unterminated' } },
    ]);
  });
});

describe('retry schedule', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };

  it('draws full jitter under a doubling ceiling capped by maxDelayMs', () => {
    const top = { ...policy, random: () => 0.999999 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, top)),
      [99, 199, 399, 799, 999, 999],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelayMs(n, { ...policy, random: () => 0.5 })),
      [50, 100, 200],
    );
    assert.equal(backoffDelayMs(4, { ...policy, random: () => 0 }), 0);
  });

  it('honours Retry-After in seconds or as a date, capped', () => {
    assert.equal(retryAfterMs('0', policy), 0);
    assert.equal(retryAfterMs('1', { ...policy, maxDelayMs: 5000 }), 1000);
    assert.equal(retryAfterMs('120', policy), 1000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retryAfterMs('Wed, 01 Jan 2025 00:00:00 GMT', policy, now - 500), 500);
    assert.equal(retryAfterMs('soon', policy), undefined);
    assert.equal(retryAfterMs(undefined, policy), undefined);
  });

  it('retries overload and connection failures, nothing else', () => {
    for (const s of [429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(s), String(s));
    for (const s of [400, 401, 403, 404, 416, 501]) assert.ok(!isRetryableStatus(s), String(s));
    assert.ok(isRetryableConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
    assert.ok(isRetryableConnectionError(Object.assign(new Error('x'), { code: 'ECONNRESET' })));
    assert.ok(!isRetryableConnectionError(Object.assign(new Error('x'), { code: 'ENOENT' })));
    assert.ok(!isRetryableConnectionError(new Error('x')));
  });
});

describe('chunked upload ranges', () => {
  it('covers the blob with inclusive ranges, the last one short', () => {
    assert.deepEqual(chunkRanges(10, 4).map(formatContentRange), ['0-3', '4-7', '8-9']);
    assert.deepEqual(chunkRanges(8, 4).map(formatContentRange), ['0-3', '4-7']);
    assert.deepEqual(chunkRanges(1, 4), [{ start: 0, end: 0, length: 1 }]);
    assert.deepEqual(chunkRanges(0, 4), []);
    assert.throws(() => chunkRanges(10, 0), RangeError);
    const ranges = chunkRanges(10 << 20, 3 << 20);
    assert.equal(
      ranges.reduce((n, r) => n + r.length, 0),
      10 << 20,
    );
    ranges.forEach((r, i) => i > 0 && assert.equal(r.start, ranges[i - 1]!.end + 1));
  });

  it('raises the chunk size to the registry minimum', () => {
    assert.equal(effectiveChunkSize(1024, '4096'), 4096);
    assert.equal(effectiveChunkSize(8192, '4096'), 8192);
    assert.equal(effectiveChunkSize(8192, undefined), 8192);
    assert.equal(effectiveChunkSize(8192, 'junk'), 8192);
  });
});
