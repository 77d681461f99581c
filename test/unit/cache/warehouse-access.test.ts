import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCacheAccess, tokenGrants, type CacheRight } from '../../../src/cache/warehouse/access.js';
import type { CacheRecord, TokenRecord } from '../../../src/persistence/index.js';

const cache = (name: string, isPrivate: boolean): CacheRecord => ({
  name,
  private: isPrivate,
  priority: 41,
  retentionDays: null,
  createdAt: 1,
  deletedAt: null,
});

const token = (perm: TokenRecord['perm'], scope: string | null): TokenRecord => ({
  id: `tok-${perm}-${scope}`,
  secretHash: 'x',
  perm,
  scope,
  description: '',
  createdAt: 1,
  expiresAt: null,
  revokedAt: null,
});

function outcome(
  name: string,
  record: CacheRecord | undefined,
  who: TokenRecord | 'invalid' | undefined,
  need: CacheRight,
): string {
  try {
    checkCacheAccess(name, record, who, need);
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code.replace('KILN_ERR_', '');
  }
}

describe('cache access decisions', () => {
  it('lets anyone read a public cache and nobody else in without a token', () => {
    assert.equal(outcome('pub', cache('pub', false), undefined, 'pull'), 'ok');
    assert.equal(outcome('pub', cache('pub', false), undefined, 'push'), 'UNAUTHORIZED');
    assert.equal(outcome('priv', cache('priv', true), undefined, 'pull'), 'UNAUTHORIZED');
    // A missing cache looks like a private one to a stranger.
    assert.equal(outcome('none', undefined, undefined, 'pull'), 'UNAUTHORIZED');
  });

  it('answers 401 for an invalid token, even on a public cache', () => {
    assert.equal(outcome('pub', cache('pub', false), 'invalid', 'pull'), 'UNAUTHORIZED');
  });

  it('ranks pull < push < admin within the token’s cache', () => {
    const rights: CacheRight[] = ['pull', 'push', 'admin'];
    const table = (['pull', 'push', 'admin'] as const).map((perm) =>
      rights.map((need) => outcome('priv', cache('priv', true), token(perm, 'priv'), need)),
    );
    assert.deepEqual(table, [
      ['ok', 'FORBIDDEN', 'FORBIDDEN'],
      ['ok', 'ok', 'FORBIDDEN'],
      ['ok', 'ok', 'ok'],
    ]);
  });

  it('gives a token for another cache 403, but lets it read public caches (netrc sends it everywhere)', () => {
    assert.equal(outcome('priv', cache('priv', true), token('push', 'other'), 'pull'), 'FORBIDDEN');
    assert.equal(outcome('pub', cache('pub', false), token('push', 'other'), 'pull'), 'ok');
    assert.equal(outcome('pub', cache('pub', false), token('admin', 'other'), 'push'), 'FORBIDDEN');
  });

  it('says 404 for a missing cache only to a token that could see it', () => {
    assert.equal(outcome('gone', undefined, token('admin', null), 'pull'), 'NOT_FOUND');
    assert.equal(outcome('gone', undefined, token('pull', 'gone'), 'pull'), 'NOT_FOUND');
    assert.equal(outcome('gone', undefined, token('pull', 'other'), 'pull'), 'FORBIDDEN');
  });

  it('treats server-wide tokens as admin only', () => {
    assert.equal(tokenGrants(token('admin', null), 'any', 'admin'), true);
    assert.equal(tokenGrants(token('push', null), 'any', 'pull'), false);
  });
});
