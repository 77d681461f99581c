import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import {
  isFullSha,
  validateAttrPath,
  validateGitRef,
  validateGitUrl,
  type GitUrlPolicy,
} from '../../../src/git/index.js';
import { hostileCorpus, type HostileEntry } from './corpus.js';

const local: GitUrlPolicy = { allowLocal: true };
const remote: GitUrlPolicy = { allowLocal: false };

function validate(entry: HostileEntry): unknown {
  if (entry.kind === 'url') return validateGitUrl(entry.value, entry.policy ?? local);
  if (entry.kind === 'ref') return validateGitRef(entry.value);
  return validateAttrPath(entry.value);
}

describe('hostile corpus', () => {
  const corpus = hostileCorpus();

  it('has at least 40 entries of URLs, refs and attribute paths', () => {
    assert.ok(corpus.length >= 40, `only ${corpus.length}`);
    for (const kind of ['url', 'ref', 'attr'] as const) assert.ok(corpus.some((e) => e.kind === kind));
  });

  for (const entry of corpus) {
    it(`rejects ${entry.kind} ${JSON.stringify(entry.value.slice(0, 60))}`, () => {
      assert.throws(
        () => validate(entry),
        (error: unknown) => {
          assert.ok(isKilnError(error), String(error));
          assert.equal(error.code, 'KILN_ERR_GIT_URL');
          if (entry.message) assert.match(error.message, entry.message);
          return true;
        },
      );
    });
  }

  it('never echoes an embedded credential', () => {
    for (const value of ['https://user:s3cret-tok@github.com/x.git', 'https://s3cret-tok@github.com/x.git']) {
      assert.throws(
        () => validateGitUrl(value, remote),
        (error: unknown) =>
          isKilnError(error) &&
          !error.message.includes('s3cret') &&
          !JSON.stringify(error.details).includes('s3cret'),
      );
    }
  });
});

describe('validateGitUrl accepts', () => {
  const cases: [string, GitUrlPolicy, string, string | null][] = [
    ['https://github.com/owner/repo.git', remote, 'https', 'github.com'],
    ['https://github.com/owner/repo', remote, 'https', 'github.com'],
    ['https://GitHub.com:443/owner/repo.git', remote, 'https', 'github.com'],
    ['https://dev.azure.com/org/My%20Project/_git/repo', remote, 'https', 'dev.azure.com'],
    ['http://127.0.0.1:8080/x.git', remote, 'http', '127.0.0.1'],
    ['https://[::1]:8443/r.git', remote, 'https', '::1'],
    ['ssh://git@github.com/owner/repo.git', remote, 'ssh', 'github.com'],
    ['ssh://git@github.com:2222/owner/repo.git', remote, 'ssh', 'github.com'],
    ['ssh://github.com/owner/repo.git', remote, 'ssh', 'github.com'],
    ['git@github.com:owner/repo.git', remote, 'scp', 'github.com'],
    ['github.com:owner/repo.git', remote, 'scp', 'github.com'],
    ['git@gitlab.example.com:group/sub/repo.git', remote, 'scp', 'gitlab.example.com'],
    ['file:///srv/git/repo.git', local, 'file', null],
    ['/srv/git/repo.git', local, 'file', null],
  ];
  for (const [url, policy, kind, host] of cases) {
    it(`${url} as ${kind}`, () => {
      assert.deepEqual(validateGitUrl(url, policy), { url, kind, host });
    });
  }

  it('compares allowed hosts case-insensitively and ignores them for local repositories', () => {
    const policy = { allowLocal: true, allowedHosts: ['GitHub.com'] };
    assert.equal(validateGitUrl('git@github.com:o/r.git', policy).host, 'github.com');
    assert.equal(validateGitUrl('/srv/repo.git', policy).kind, 'file');
  });
});

describe('validateGitRef and isFullSha', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  for (const ref of [
    'main',
    'feature/x-1',
    'v1.2.3',
    'refs/heads/main',
    'refs/tags/v1',
    'HEAD',
    'release_2024',
    sha,
  ]) {
    it(`accepts ${ref}`, () => assert.equal(validateGitRef(ref), ref));
  }
  it('lower-cases a full SHA', () => {
    assert.equal(validateGitRef(sha.toUpperCase()), sha);
  });
  it('recognises only full 40-hex SHAs', () => {
    assert.equal(isFullSha(sha), true);
    assert.equal(isFullSha(sha.toUpperCase()), true);
    assert.equal(isFullSha(sha.slice(0, 39)), false);
    assert.equal(isFullSha(`${sha}0`), false);
    assert.equal(isFullSha('main'), false);
  });
});

describe('validateAttrPath', () => {
  for (const attr of [
    'hello',
    'default',
    'packages.x86_64-linux.default',
    'legacyPackages.i686-linux.hello',
    "_p.foo'",
    'a-b',
  ]) {
    it(`accepts ${attr}`, () => assert.equal(validateAttrPath(attr), attr));
  }
});
