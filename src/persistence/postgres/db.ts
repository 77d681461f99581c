import pg from 'pg';
import { KilnError } from '../../errors/index.js';

/**
 * The one door to PostgreSQL for the repositories: parameterised queries and transactions over a
 * pool. BIGINT (int8) columns come back as JavaScript numbers: kiln stores epoch milliseconds,
 * sequence numbers and byte counts in them, all far below 2^53.
 */
export interface PgDb {
  /** Rows of one statement (`$1`, `$2`, ... placeholders). */
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Number of rows the statement changed. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` in one transaction on one connection (BEGIN … COMMIT, ROLLBACK on a throw). Nested
   * calls on the transaction's PgDb run inside the same transaction.
   */
  transaction<T>(fn: (tx: PgDb) => Promise<T>): Promise<T>;
}

/** A pool with its PgDb; `end()` closes every connection. */
export interface PgPool extends PgDb {
  readonly pool: pg.Pool;
  end(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? toNumber
      : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

export function createPgPool(connectionString: string, options: { max?: number } = {}): PgPool {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, types });
  // An idle client losing its connection (server restart) must not crash the process; the next
  // query gets a fresh connection or a clear error.
  pool.on('error', () => undefined);
  const db = onClient(pool);
  return {
    pool,
    query: db.query,
    execute: db.execute,
    async transaction<T>(fn: (tx: PgDb) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch(rethrowUnavailable);
      let broken: unknown;
      try {
        const tx = inTransaction(client);
        await tx.execute('BEGIN');
        const result = await fn(tx);
        await tx.execute('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: destroy it.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    end: () => pool.end(),
  };
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

function onClient(target: Queryable): Pick<PgDb, 'query' | 'execute'> {
  return {
    async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query<R>(sql, params as unknown[]).catch(rethrowUnavailable);
      return result.rows;
    },
    async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
      const result = await target.query(sql, params as unknown[]).catch(rethrowUnavailable);
      return result.rowCount ?? 0;
    },
  };
}

function inTransaction(client: pg.PoolClient): PgDb {
  const db: PgDb = {
    ...onClient(client),
    transaction: (fn) => fn(db),
  };
  return db;
}

/** How long a client should wait before retrying while the database is unreachable (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** SQLSTATE classes and socket errors that mean "the database cannot be reached right now". */
const UNREACHABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNREACHABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** True when `error` says the database is down or the connection was lost, not that a query was wrong. */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_SQLSTATES.has(code) || UNREACHABLE_ERRNOS.has(code)))
    return true;
  return /^Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    error.message,
  );
}

/**
 * A lost database is a temporary condition the caller may retry (503 with Retry-After at the HTTP
 * edge), not an internal error; every other error passes through unchanged.
 */
function rethrowUnavailable(error: unknown): never {
  if (isDatabaseUnreachable(error)) {
    throw new KilnError(
      'KILN_ERR_UNAVAILABLE',
      'the database is unreachable; try again shortly',
      { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
      { cause: error },
    );
  }
  throw error;
}
