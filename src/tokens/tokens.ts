import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fsutil/index.js';
import type { TokenRecord, TokenRepo } from '../persistence/index.js';

const TOKEN_PREFIX = 'kiln_';

/** Tokens are 256-bit random secrets, so a fast hash is enough: nothing to brute-force. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The token record for `secret` if it exists, is not revoked and has not expired. */
export async function verifyToken(
  tokens: TokenRepo,
  secret: string,
  now: number,
): Promise<TokenRecord | undefined> {
  if (secret.length < 8 || secret.length > 512) return undefined;
  const record = await tokens.findBySecretHash(hashSecret(secret));
  if (!record || record.revokedAt !== null) return undefined;
  if (record.expiresAt !== null && record.expiresAt <= now) return undefined;
  return record;
}

/**
 * Makes sure an admin token exists and is written to `path` (mode 0600). On first start a new one
 * is created; on later starts the file's token is (re-)registered, so deleting the database does not
 * lock the operator out.
 */
export async function ensureAdminToken(tokens: TokenRepo, path: string, now: number): Promise<void> {
  let secret: string | undefined;
  try {
    secret = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (secret && (await tokens.findBySecretHash(hashSecret(secret)))) return;
  secret ||= newSecret();
  await tokens.insert({
    id: `admin-${hashSecret(secret).slice(0, 12)}`,
    secretHash: hashSecret(secret),
    perm: 'admin',
    scope: null,
    description: 'admin token written to admin.token on first start',
    createdAt: now,
    expiresAt: null,
    revokedAt: null,
  });
  await writeFileAtomic(path, secret + '\n', 0o600);
}

export interface NewTokenRequest {
  perm: TokenRecord['perm'];
  /** The cache the token is for; null for a server-wide admin token. */
  scope: string | null;
  /** Lifetime in milliseconds; undefined never expires. */
  ttlMs?: number | undefined;
  description?: string | undefined;
}

/** Creates and stores a token; the secret is returned once and never stored. */
export async function createToken(
  tokens: TokenRepo,
  request: NewTokenRequest,
  now: number,
): Promise<{ record: TokenRecord; secret: string }> {
  const secret = newSecret();
  const record: TokenRecord = {
    id: `tok_${randomBytes(9).toString('base64url')}`,
    secretHash: hashSecret(secret),
    perm: request.perm,
    scope: request.scope,
    description: request.description ?? '',
    createdAt: now,
    expiresAt: request.ttlMs === undefined ? null : now + request.ttlMs,
    revokedAt: null,
  };
  await tokens.insert(record);
  return { record, secret };
}
