import { KilnError } from '../../errors/index.js';
import type { CacheRecord, TokenRecord } from '../../persistence/index.js';

/** What a request needs on a cache: `pull` reads, `push` writes, `admin` manages. */
export type CacheRight = 'pull' | 'push' | 'admin';

const RANK: Readonly<Record<TokenRecord['perm'], number>> = { pull: 1, push: 2, admin: 3 };

/** Whether `token` grants `need` on `cacheName`: server-wide admin tokens grant everything. */
export function tokenGrants(token: TokenRecord, cacheName: string, need: CacheRight): boolean {
  if (token.scope === null) return token.perm === 'admin';
  return token.scope === cacheName && RANK[token.perm] >= RANK[need];
}

/**
 * The access decision for one request, pure. `token` is undefined without credentials and
 * 'invalid' for an unknown, revoked or expired one; `cache` is undefined when there is no live
 * cache of that name. Throws the coded error to send; returns when the request may go on.
 *
 * A missing cache is 404 only to a client whose token could see it; strangers get 401/403, so
 * cache names do not leak. Public caches answer reads whatever token comes along, since netrc
 * sends one password to every cache on a host.
 */
export function checkCacheAccess(
  cacheName: string,
  cache: CacheRecord | undefined,
  token: TokenRecord | 'invalid' | undefined,
  need: CacheRight,
): void {
  const publicRead = need === 'pull' && cache !== undefined && !cache.private;
  if (token === undefined) {
    if (publicRead) return;
    throw new KilnError(
      'KILN_ERR_UNAUTHORIZED',
      need === 'pull'
        ? `cache ${cacheName} needs a token: send it as the HTTP Basic password (netrc) or as a Bearer token`
        : `writing to cache ${cacheName} needs a ${need} token`,
    );
  }
  if (token === 'invalid') {
    throw new KilnError('KILN_ERR_UNAUTHORIZED', 'the token is not valid (unknown, revoked or expired)');
  }
  if (tokenGrants(token, cacheName, need)) {
    if (cache === undefined) throw new KilnError('KILN_ERR_NOT_FOUND', `no cache named ${cacheName}`);
    return;
  }
  if (publicRead) return;
  throw new KilnError(
    'KILN_ERR_FORBIDDEN',
    token.scope === cacheName || token.scope === null
      ? `a ${token.perm} token cannot ${need === 'pull' ? 'read' : need === 'push' ? 'push to' : 'manage'} cache ${cacheName}`
      : `this token is for another cache and cannot ${need === 'pull' ? 'read' : need === 'push' ? 'push to' : 'manage'} cache ${cacheName}`,
  );
}
