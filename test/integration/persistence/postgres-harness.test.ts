import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPgPool } from '../../../src/persistence/postgres/db.js';
import { postgresUnavailableReason, sharedPostgres } from '../../helpers/postgres.js';

void describe('PostgreSQL test server', { skip: postgresUnavailableReason() ?? false }, () => {
  void it('gives each caller a fresh database and survives a restart', async () => {
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
      await assert.rejects(db.query('SELECT 1'));
      await server.start();
      assert.deepEqual(await db.query('SELECT n FROM t'), [{ n: 2 ** 40 }]);
    } finally {
      await db.end();
    }
  });
});
