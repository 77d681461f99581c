import type { Database, Statement } from 'better-sqlite3';
import type { SqlValue } from './build-row.js';

export type NamedParams = Record<string, SqlValue>;

/**
 * Prepared statements for SQL that is assembled per call (optional filters, patched columns). The
 * number of distinct shapes is small and bounded, so each is prepared once and kept.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement<[NamedParams], unknown>>();

  constructor(private readonly db: Database) {}

  get<Result>(sql: string): Statement<[NamedParams], Result> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<[NamedParams], unknown>(sql);
      this.statements.set(sql, statement);
    }
    // The caller's SQL determines the row shape; the cache only keys on that SQL.
    return statement as Statement<[NamedParams], Result>;
  }
}
