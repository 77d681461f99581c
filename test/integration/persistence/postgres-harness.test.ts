import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KilnError } from '../../../src/errors/index.js';
import { createPgPool } from '../../../src/persistence/postgres/db.js';
import { postgresUnavailableReason, sharedPostgres } from '../../helpers/postgres.js';

void describe('PostgreSQL test server', { skip: postgresUnavailableReason() ?? false }, () => {
  void it('gives each caller a fresh database; a stopped server is a coded outage, and the pool reconnects after a restart', async () => {
    const server = await sharedPostgres();
    const url = await server.createDatabase();
    const db = createPgPool(url, { max: 2 });
    try {
      await db.execute('CREATE TABLE t (n BIGINT)');
      await db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES ($1)', [2 ** 40]);
      });
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute('INSERT INTO t VALUES (1)');
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await server.stop();
      // A stopped database is a temporary outage the HTTP edge answers with 503 and Retry-After.
      await assert.rejects(db.query('SELECT 1'), (error: unknown) => {
        assert.ok(error instanceof KilnError);
        assert.equal(error.code, 'KILN_ERR_UNAVAILABLE');
        assert.equal(error.details?.['retryAfterSeconds'], 5);
        return true;
      });
      await assert.rejects(
        db.transaction(() => Promise.resolve()),
        (error: unknown) => error instanceof KilnError && error.code === 'KILN_ERR_UNAVAILABLE',
      );
      await server.start();
      assert.deepEqual(await db.query('SELECT n FROM t'), [{ n: 2 ** 40 }]);
    } finally {
      await db.end();
    }
  });
});
