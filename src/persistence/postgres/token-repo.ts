import type { TokenRecord, TokenRepo } from '../types.js';
import type { PgDb } from './db.js';

interface TokenRow {
  id: string;
  secret_hash: string;
  perm: string;
  scope: string | null;
  description: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function rowToToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    // Only this backend writes the column, always from a TokenRecord.
    perm: row.perm as TokenRecord['perm'],
    scope: row.scope,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export class PgTokenRepo implements TokenRepo {
  constructor(private readonly db: PgDb) {}

  async insert(token: TokenRecord): Promise<void> {
    await this.db.execute(
      `INSERT INTO tokens (id, secret_hash, perm, scope, description, created_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        token.id,
        token.secretHash,
        token.perm,
        token.scope,
        token.description,
        token.createdAt,
        token.expiresAt,
        token.revokedAt,
      ],
    );
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<TokenRow>('SELECT * FROM tokens WHERE id = $1', [id]);
    return row ? rowToToken(row) : undefined;
  }

  async findBySecretHash(secretHash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<TokenRow>('SELECT * FROM tokens WHERE secret_hash = $1', [secretHash]);
    return row ? rowToToken(row) : undefined;
  }

  async revoke(id: string, now: number): Promise<boolean> {
    // A second revocation changes nothing, so the first revocation time is kept.
    const changed = await this.db.execute(
      'UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [now, id],
    );
    return changed === 1;
  }

  async list(): Promise<TokenRecord[]> {
    // COLLATE "C": byte order, as SQLite compares text, whatever the database's locale.
    const rows = await this.db.query<TokenRow>('SELECT * FROM tokens ORDER BY created_at, id COLLATE "C"');
    return rows.map(rowToToken);
  }
}
