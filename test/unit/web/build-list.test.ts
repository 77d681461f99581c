import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildBranch,
  commitText,
  filtersFromQuery,
  filtersToQuery,
  insertionIndex,
  listApiPath,
  matchesFilters,
  triggerText,
  whatText,
  type ListedBuild,
} from '../../../src/web/client/build-list.js';

function build(overrides: Partial<ListedBuild> = {}): ListedBuild {
  return {
    id: 'b1',
    status: 'running',
    createdAt: '2026-01-10T12:00:00.000Z',
    projectId: 'app',
    commit: { sha: '0123456789abcdef0123456789abcdef01234567', branch: 'main', subject: 'Fix the thing' },
    source: { kind: 'git', url: 'https://example.com/app.git', ref: 'main' },
    system: 'x86_64-linux',
    attrPath: 'packages.x86_64-linux.hello',
    trigger: { kind: 'push', actor: 'alice' },
    ...overrides,
  };
}

describe('filters in the URL', () => {
  it('round-trip through the query string', () => {
    const filters = filtersFromQuery(
      new URLSearchParams('status=failed,timed_out&project=app&branch=release/1'),
    );
    assert.deepEqual(filters, { status: ['failed', 'timed_out'], projectId: 'app', branch: 'release/1' });
    assert.deepEqual(filtersFromQuery(new URLSearchParams(filtersToQuery(filters).slice(1))), filters);
  });

  it('drop unknown statuses and empty values', () => {
    assert.deepEqual(
      filtersFromQuery(new URLSearchParams('status=bogus,failed,failed&project=&branch=%20')),
      {
        status: ['failed'],
        projectId: '',
        branch: '',
      },
    );
    assert.equal(filtersToQuery({ status: [], projectId: '', branch: '' }), '');
  });

  it('become the API query (projectId, branch, before for older pages)', () => {
    const path = listApiPath({ status: ['running'], projectId: 'app', branch: 'main' }, 50, 1234);
    const url = new URL(path, 'http://x');
    assert.equal(url.pathname, '/api/v1/builds');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      limit: '50',
      status: 'running',
      projectId: 'app',
      branch: 'main',
      before: '1234',
    });
    assert.equal(listApiPath({ status: [], projectId: '', branch: '' }, 20), '/api/v1/builds?limit=20');
  });
});

describe('matchesFilters', () => {
  const none = { status: [], projectId: '', branch: '' };
  it('keeps everything without filters', () => {
    assert.equal(matchesFilters(build(), none), true);
  });

  it('checks status, project and branch', () => {
    assert.equal(matchesFilters(build(), { ...none, status: ['running', 'pending'] }), true);
    assert.equal(matchesFilters(build(), { ...none, status: ['failed'] }), false);
    assert.equal(matchesFilters(build(), { ...none, projectId: 'other' }), false);
    assert.equal(matchesFilters(build({ projectId: null }), { ...none, projectId: 'app' }), false);
    assert.equal(matchesFilters(build(), { ...none, branch: 'main' }), true);
    assert.equal(matchesFilters(build(), { ...none, branch: 'dev' }), false);
  });

  it("uses the Git ref as the branch until the commit's branch is known", () => {
    const pending = build({ commit: null, source: { kind: 'git', url: 'u', ref: 'dev' } });
    assert.equal(buildBranch(pending), 'dev');
    assert.equal(matchesFilters(pending, { ...none, branch: 'dev' }), true);
    assert.equal(buildBranch(build({ commit: null, source: { kind: 'expr' } })), null);
  });
});

describe('insertionIndex', () => {
  const list = [
    { id: 'c', createdAt: '2026-01-10T12:00:03Z' },
    { id: 'b', createdAt: '2026-01-10T12:00:02Z' },
    { id: 'a', createdAt: '2026-01-10T12:00:01Z' },
  ];
  it('puts a new build first and others where their time belongs', () => {
    assert.equal(insertionIndex(list, { id: 'd', createdAt: '2026-01-10T12:00:04Z' }, true), 0);
    assert.equal(insertionIndex(list, { id: 'x', createdAt: '2026-01-10T12:00:02.500Z' }, true), 1);
    assert.equal(insertionIndex(list, { id: 'bb', createdAt: '2026-01-10T12:00:02Z' }, true), 1);
  });

  it('leaves an older build to the pages not loaded yet, or appends when there are none', () => {
    const old = { id: '0', createdAt: '2026-01-10T12:00:00Z' };
    assert.equal(insertionIndex(list, old, true), -1);
    assert.equal(insertionIndex(list, old, false), 3);
    assert.equal(insertionIndex([], old, false), 0);
  });
});

describe('one-line texts', () => {
  it('say what was built', () => {
    assert.equal(whatText(build()), 'x86_64-linux · packages.x86_64-linux.hello');
    assert.equal(
      whatText(build({ system: null, attrPath: null, source: { kind: 'template', name: 'node' } })),
      'node',
    );
    assert.equal(whatText(build({ system: null, attrPath: null, source: { kind: 'expr' } })), '');
    assert.equal(
      whatText(
        build({ system: 'i686-linux', attrPath: null, source: { kind: 'expr', fileName: 'hello.nix' } }),
      ),
      'i686-linux · hello.nix',
    );
  });

  it('show the commit and the trigger', () => {
    assert.deepEqual(commitText(build()), { sha: '01234567', subject: 'Fix the thing' });
    assert.equal(commitText(build({ commit: null })), null);
    assert.equal(triggerText({ kind: 'push', actor: 'alice' }), 'push · alice');
    assert.equal(triggerText({ kind: 'ui', actor: null }), 'ui');
    assert.equal(triggerText(null), '—');
  });
});
