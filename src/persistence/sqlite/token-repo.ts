import type { Database } from 'better-sqlite3';
import type { TokenRecord, TokenRepo } from '../types.js';
import { settle } from './settle.js';

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
    // Only this module writes the column, always from a TokenRecord.
    perm: row.perm as TokenRecord['perm'],
    scope: row.scope,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export class SqliteTokenRepo implements TokenRepo {
  private readonly insertStatement;
  private readonly findStatement;
  private readonly getStatement;
  private readonly revokeStatement;
  private readonly listStatement;

  constructor(db: Database) {
    this.insertStatement = db.prepare<[TokenRecord]>(`
      INSERT INTO tokens (id, secret_hash, perm, scope, description, created_at, expires_at, revoked_at)
      VALUES (@id, @secretHash, @perm, @scope, @description, @createdAt, @expiresAt, @revokedAt)`);
    this.findStatement = db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE secret_hash = ?');
    this.getStatement = db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?');
    // A second revocation changes nothing, so the first revocation time is kept.
    this.revokeStatement = db.prepare<[number, string]>(
      'UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    );
    this.listStatement = db.prepare<[], TokenRow>('SELECT * FROM tokens ORDER BY created_at, id');
  }

  insert(token: TokenRecord): Promise<void> {
    return settle(() => {
      const { id, secretHash, perm, scope, description, createdAt, expiresAt, revokedAt } = token;
      this.insertStatement.run({ id, secretHash, perm, scope, description, createdAt, expiresAt, revokedAt });
    });
  }

  get(id: string): Promise<TokenRecord | undefined> {
    return settle(() => {
      const row = this.getStatement.get(id);
      return row ? rowToToken(row) : undefined;
    });
  }

  findBySecretHash(secretHash: string): Promise<TokenRecord | undefined> {
    return settle(() => {
      const row = this.findStatement.get(secretHash);
      return row ? rowToToken(row) : undefined;
    });
  }

  revoke(id: string, now: number): Promise<boolean> {
    return settle(() => this.revokeStatement.run(now, id).changes === 1);
  }

  list(): Promise<TokenRecord[]> {
    return settle(() => this.listStatement.all().map(rowToToken));
  }
}
