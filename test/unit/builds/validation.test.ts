import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  validateSubmission,
  parseDuration,
  newBuildId,
  BUILD_ID_PATTERN,
} from '../../../src/builds/index.js';
import { KilnError, type ErrorCode } from '../../../src/errors/index.js';

const limits = {
  defaultTimeoutSeconds: 1800,
  maxTimeoutSeconds: 3600,
  maxSilentSeconds: 0,
  maxExpressionBytes: 1000,
};
const source = { kind: 'expr' as const, expression: 'derivation {}' };

function code(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof KilnError) return error.code;
    throw error;
  }
  return undefined;
}

describe('submission validation', () => {
  it('applies the default timeout and accepts the maximum', () => {
    assert.equal(validateSubmission({ source }, limits).timeoutSeconds, 1800);
    assert.equal(validateSubmission({ source, timeoutSeconds: 3600 }, limits).timeoutSeconds, 3600);
    assert.deepEqual(validateSubmission({ source }, limits).systems, [null]);
  });

  it('refuses timeouts out of range', () => {
    assert.equal(
      code(() => validateSubmission({ source, timeoutSeconds: 3601 }, limits)),
      'KILN_ERR_TIMEOUT_RANGE',
    );
    assert.equal(
      code(() => validateSubmission({ source, timeoutSeconds: 0 }, limits)),
      'KILN_ERR_TIMEOUT_RANGE',
    );
    assert.equal(
      code(() => validateSubmission({ source, maxSilentSeconds: -1 }, limits)),
      'KILN_ERR_TIMEOUT_RANGE',
    );
  });

  it('refuses env names that are not identifiers or that Nix owns', () => {
    for (const name of ['1A', 'A-B', 'A B', '', 'a=b', 'ä']) {
      assert.equal(
        code(() => validateSubmission({ source, env: { [name]: 'x' } }, limits)),
        'KILN_ERR_ENV_NAME',
        name,
      );
    }
    for (const name of ['builder', 'system', 'outputs']) {
      assert.equal(
        code(() => validateSubmission({ source, env: { [name]: 'x' } }, limits)),
        'KILN_ERR_ENV_NAME',
        name,
      );
    }
    assert.equal(
      code(() => validateSubmission({ source, env: { NODE_ENV: 'production', _X1: '' } }, limits)),
      undefined,
    );
  });

  it('refuses expressions over the size limit, counting bytes not characters', () => {
    assert.equal(
      code(() => validateSubmission({ source: { kind: 'expr', expression: 'x'.repeat(1001) } }, limits)),
      'KILN_ERR_EXPR_TOO_LARGE',
    );
    assert.equal(
      code(() => validateSubmission({ source: { kind: 'expr', expression: 'é'.repeat(501) } }, limits)),
      'KILN_ERR_EXPR_TOO_LARGE',
    );
    assert.equal(
      code(() => validateSubmission({ source: { kind: 'expr', expression: '   ' } }, limits)),
      'KILN_ERR_EXPR_PARSE',
    );
  });

  it('deduplicates systems and checks their form', () => {
    assert.deepEqual(
      validateSubmission({ source, systems: ['x86_64-linux', 'x86_64-linux', 'i686-linux'] }, limits).systems,
      ['x86_64-linux', 'i686-linux'],
    );
    assert.equal(
      code(() => validateSubmission({ source, systems: ['linux'] }, limits)),
      'KILN_ERR_VALIDATION',
    );
  });
});

describe('push cache of a submission', () => {
  it('accepts a cache name and refuses anything else', () => {
    assert.equal(validateSubmission({ source, push: 'team.builds-1' }, limits).push, 'team.builds-1');
    for (const bad of ['', 'Team', 'a/b', '-x', 'x..y', 'a'.repeat(64)]) {
      assert.equal(
        code(() => validateSubmission({ source, push: bad }, limits)),
        'KILN_ERR_VALIDATION',
        bad,
      );
    }
  });
});

describe('durations and ids', () => {
  it('parses durations with units', () => {
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('90m'), 90 * 60_000);
    assert.equal(parseDuration('45s'), 45_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    for (const bad of ['', '30', 'd', '1.5h', '-1d', '30 days']) {
      assert.equal(
        code(() => parseDuration(bad)),
        'KILN_ERR_VALIDATION',
        bad,
      );
    }
  });

  it('makes unique, time-sortable ids', () => {
    const a = newBuildId(1_700_000_000_000);
    const b = newBuildId(1_700_000_000_001);
    assert.match(a, BUILD_ID_PATTERN);
    assert.ok(a < b);
    const many = new Set(Array.from({ length: 1000 }, () => newBuildId(5)));
    assert.equal(many.size, 1000);
  });
});

describe('image settings and deploy hooks at submission', () => {
  const image = '127.0.0.1:5000/app';
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      if (error instanceof KilnError) return `${error.code}: ${error.message}`;
      throw error;
    }
    return 'accepted';
  };

  it('accepts the OCI settings a user sets', () => {
    const imageConfig = {
      entrypoint: ['/bin/app', '--serve'],
      cmd: [],
      env: ['MODE=prod', 'EMPTY='],
      workingDir: '/srv/app',
      exposedPorts: ['8080', '53/udp', '1/sctp', '65535/tcp'],
      user: '1000:1000',
    };
    const valid = validateSubmission(
      { source, image, imageConfig, deployHook: 'https://d.example/h' },
      limits,
    );
    assert.deepEqual(valid.imageConfig, imageConfig);
    assert.equal(valid.deployHook, 'https://d.example/h');
  });

  it('refuses each malformed setting with a message naming it', () => {
    const cases: [object, RegExp][] = [
      [{ env: ['NOEQUALS'] }, /env "NOEQUALS" is not KEY=VALUE/],
      [{ env: ['1X=y'] }, /env "1X=y"/],
      [{ workingDir: 'relative/dir' }, /workingDir "relative\/dir" is not an absolute path/],
      [{ exposedPorts: ['0'] }, /"0" is not a port/],
      [{ exposedPorts: ['65536'] }, /"65536" is not a port/],
      [{ exposedPorts: ['80/icmp'] }, /"80\/icmp" is not a port/],
      [{ user: 'root; rm -rf /' }, /user "root; rm -rf \/" is not NAME, UID or UID:GID/],
      [{ entrypoint: ['a\0b'] }, /entrypoint contains a NUL byte/],
      [{ cmd: Array.from({ length: 65 }, () => 'x') }, /cmd has more than 64 arguments/],
    ];
    for (const [imageConfig, expected] of cases) {
      assert.match(
        message(() => validateSubmission({ source, image, imageConfig }, limits)),
        expected,
      );
    }
  });

  it('wants http(s) hooks without credentials, and settings only with an image', () => {
    assert.match(
      message(() => validateSubmission({ source, image, deployHook: 'ftp://x/y' }, limits)),
      /http or https/,
    );
    assert.match(
      message(() => validateSubmission({ source, image, deployHook: 'nope' }, limits)),
      /not a URL/,
    );
    assert.match(
      message(() => validateSubmission({ source, image, deployHook: 'https://u:p@x/y' }, limits)),
      /must not hold credentials/,
    );
    assert.match(
      message(() => validateSubmission({ source, deployHook: 'https://x/y' }, limits)),
      /go with an image/,
    );
    assert.match(
      message(() => validateSubmission({ source, imageConfig: { cmd: ['x'] } }, limits)),
      /go with an image/,
    );
  });
});
