import type { FastifyRequest } from 'fastify';
import { KilnError } from '../errors/index.js';
import type { TokenRecord } from '../persistence/index.js';

/** Reads a token from `Authorization: Bearer T` or from the password of HTTP Basic (netrc). */
export function tokenFromRequest(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value || undefined;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) || undefined : undefined;
  }
  return undefined;
}

export async function requireAdmin(
  request: FastifyRequest,
  authenticate: (secret: string) => Promise<TokenRecord | undefined>,
): Promise<TokenRecord> {
  const secret = tokenFromRequest(request);
  if (!secret) {
    throw new KilnError(
      'KILN_ERR_UNAUTHORIZED',
      'this API needs a token: send Authorization: Bearer <token>',
    );
  }
  const token = await authenticate(secret);
  if (!token)
    throw new KilnError('KILN_ERR_UNAUTHORIZED', 'the token is not valid (unknown, revoked or expired)');
  if (token.perm !== 'admin')
    throw new KilnError('KILN_ERR_FORBIDDEN', `a ${token.perm} token cannot use this API`);
  return token;
}
