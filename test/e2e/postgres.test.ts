import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { drvExpr, waitFor } from '../helpers/nix.js';
import { postgresUnavailableReason, sharedPostgres } from '../helpers/postgres.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const unavailable = postgresUnavailableReason();

/** Rows of one query against the database, as an operator with psql would look. */
async function select<R extends object>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

void describe(
  `kiln on PostgreSQL${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  {
    skip: unavailable ?? false,
  },
  () => {
    let dir: string;
    let url: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-pg-'));
      url = await (await sharedPostgres()).createDatabase();
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    void it('kiln migrate applies the schema once and a second run has nothing to do', async () => {
      const first = await runCli(['migrate', '--data', join(dir, 'migrate'), '--database', url]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^database: postgres postgres:\/\/kiln@127\.0\.0\.1:\d+\/t_\w+$/m);
      assert.match(first.stdout, /^applied 001_init\.sql$/m);
      const applied = await select<{ name: string }>(
        url,
        'SELECT name FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        applied.map((row) => `applied ${row.name}`),
        first.stdout.split('\n').filter((line) => line.startsWith('applied ')),
      );

      const second = await runCli(['migrate', '--data', join(dir, 'migrate')], { KILN_DATABASE_URL: url });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /^up to date: no migrations to apply$/m);
      assert.doesNotMatch(second.stdout, /applied/);
      assert.equal((await select(url, 'SELECT 1 FROM schema_migrations')).length, applied.length);
    });

    void it('kiln migrate never prints the password of the URL', async () => {
      const withPassword = url.replace('postgres://kiln@', 'postgres://kiln:s3cret-pw@');
      const res = await runCli(['migrate', '--data', join(dir, 'migrate'), '--database', withPassword]);
      // Trust authentication ignores the password; what matters is that it is never shown.
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /postgres:\/\/kiln:\*\*\*@127\.0\.0\.1/);
      assert.doesNotMatch(res.stdout + res.stderr, /s3cret-pw/);
    });

    void describe('kiln serve --database', () => {
      let server: ServerProcess;
      let env: Record<string, string>;

      before(async () => {
        server = await startServerProcess(join(dir, 'data'), ['--database', url]);
        env = { KILN_SERVER: server.url, KILN_TOKEN: server.token };
      });
      after(async () => {
        await server.stop();
      });

      void it('says which database it uses', async () => {
        // The line follows "listening on", possibly in a later chunk of output.
        const said = /^database: postgres postgres:\/\/kiln@127\.0\.0\.1:\d+\/t_\w+$/m;
        await waitFor(() => Promise.resolve(said.test(server.output())), {
          timeoutMs: 10_000,
          what: "the server's database line",
        });
      });

      void it('builds a derivation and the record, steps and log are in PostgreSQL', async () => {
        const res = await runCli(
          ['build', '--expr', drvExpr('echo "hello from postgres"; echo hi > $out'), '--wait', '--json'],
          env,
        );
        assert.equal(res.code, 0, res.stderr);
        const build = JSON.parse(res.stdout) as { id: string; status: string; outputs: string[] };
        assert.equal(build.status, 'succeeded');

        const [row] = await select<{ status: string; outputs: string[] }>(
          url,
          'SELECT status, outputs FROM builds WHERE id = $1',
          [build.id],
        );
        assert.deepEqual(row, { status: 'succeeded', outputs: build.outputs });
        const logs = await select<{ text: string }>(url, 'SELECT text FROM build_logs WHERE build_id = $1', [
          build.id,
        ]);
        assert.ok(
          logs.some((line) => line.text.includes('hello from postgres')),
          'the builder output is in build_logs',
        );
        const steps = await select(url, 'SELECT name FROM build_steps WHERE build_id = $1', [build.id]);
        assert.ok(steps.length > 0, 'steps are recorded');
        assert.equal(existsSync(join(dir, 'data', 'kiln.db')), false, 'no SQLite database was created');
        const status = await runCli(['status', build.id, '--json'], env);
        assert.equal((JSON.parse(status.stdout) as { status: string }).status, 'succeeded');
      });
    });
  },
);
