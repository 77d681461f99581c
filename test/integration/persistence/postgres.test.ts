import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../../src/persistence/index.js';
import { newBuild } from '../../conformance/harness.js';
import { runStoreConformance } from '../../conformance/store-conformance.js';
import { postgresUnavailableReason, sharedPostgres } from '../../helpers/postgres.js';

const unavailable = postgresUnavailableReason();

/** One fresh database per test context, so that stores opened in one test share it. */
const databases = new WeakMap<TestContext, Promise<string>>();

function databaseFor(t: TestContext): Promise<string> {
  let url = databases.get(t);
  if (!url) {
    url = sharedPostgres().then((server) => server.createDatabase());
    databases.set(t, url);
  }
  return url;
}

if (unavailable !== null) {
  void it(`PostgreSQL store tests skipped: ${unavailable}`, { skip: unavailable }, () => undefined);
} else {
  runStoreConformance('postgres', async (t) => openPostgresStore(await databaseFor(t)));

  void describe('postgres store specifics', () => {
    void it('records each migration once, also when several processes migrate at once', async (t) => {
      const url = await databaseFor(t);
      const stores = Array.from({ length: 4 }, () => openPostgresStore(url));
      try {
        const applied = await Promise.all(stores.map((store) => store.applyMigrations()));
        const all = applied.flat();
        assert.equal(new Set(all).size, all.length, 'no migration applied twice');
        assert.ok(all.includes('001_init.sql'));
        assert.deepEqual(await stores[0]?.applyMigrations(), [], 'nothing left to apply');
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const { rows } = await client.query<{ version: number; name: string }>(
            'SELECT version, name FROM schema_migrations ORDER BY version',
          );
          assert.deepEqual(
            rows.map((row) => row.name),
            [...all].sort(),
          );
        } finally {
          await client.end();
        }
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    void it('claims from several connections at once never overlap', async (t) => {
      const url = await databaseFor(t);
      const store = openPostgresStore(url);
      const claimers = Array.from({ length: 4 }, () => openPostgresStore(url, { maxConnections: 2 }));
      try {
        await store.migrate();
        const total = 120;
        const inserted: string[] = [];
        for (let i = 0; i < total; i++)
          inserted.push((await store.builds.insert(newBuild({ priority: i % 4 }))).id);
        const claimed = (
          await Promise.all(
            claimers.map(async (claimer, worker) => {
              const ids: string[] = [];
              for (;;) {
                const build = await claimer.builds.claimNext(`worker-${worker}`, 60_000, 1000);
                if (!build) return ids;
                ids.push(build.id);
              }
            }),
          )
        ).flat();
        assert.equal(claimed.length, total);
        assert.equal(new Set(claimed).size, total, 'no build claimed twice');
        assert.deepEqual([...claimed].sort(), [...inserted].sort());
      } finally {
        await Promise.all([store, ...claimers].map((s) => s.close()));
      }
    });

    void it('concurrent runs of one concurrency group keep one run at a time', async (t) => {
      const url = await databaseFor(t);
      const stores = Array.from({ length: 4 }, () => openPostgresStore(url));
      try {
        await stores[0]?.migrate();
        const policy = { key: 'Web/Main', mode: 'replace' as const, cancelInProgress: false };
        const results = await Promise.all(
          Array.from({ length: 12 }, async (_, i) => {
            const groupId = `run-${i}`;
            const builds = [newBuild({ groupId }), newBuild({ groupId })];
            const writer = stores[i % stores.length];
            assert.ok(writer);
            return writer.builds.insertRun(builds, policy, 1000 + i);
          }),
        );
        const store = stores[0];
        assert.ok(store);
        const pending = await store.builds.list({ status: ['pending'], limit: 100 });
        // Every run but the last one inserted was superseded by a later one.
        assert.equal(new Set(pending.map((build) => build.groupId)).size, 1, 'one run left pending');
        assert.equal(pending.length, 2);
        const superseded = results.flatMap((result) => result.superseded);
        assert.equal(superseded.length, 22, 'the other 11 runs (2 builds each) were superseded once each');
        assert.equal(new Set(superseded.map((build) => build.id)).size, 22);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    void it('concurrent appends from several connections keep the log capped and consistent', async (t) => {
      const url = await databaseFor(t);
      const stores = Array.from({ length: 4 }, () => openPostgresStore(url));
      try {
        const [store] = stores;
        assert.ok(store);
        await store.migrate();
        const build = await store.builds.insert(newBuild());
        const cap = 4000;
        const batches = 25;
        const batchSize = 20;
        await Promise.all(
          stores.map(async (writer, worker) => {
            for (let batch = 0; batch < batches; batch++) {
              const lines = Array.from({ length: batchSize }, (_, i) => ({
                ts: batch * batchSize + i,
                stream: 'stdout' as const,
                text: `worker ${worker} batch ${batch} line ${i}`,
              }));
              await writer.logs.append(build.id, lines, cap);
            }
          }),
        );
        const stored = await store.logs.read(build.id, 0, 1_000_000);
        const markers = stored.filter((line) => line.stream === 'kiln');
        assert.equal(markers.length, 1);
        const kept = stored.filter((line) => line.stream !== 'kiln');
        const keptBytes = kept.reduce((sum, line) => sum + Buffer.byteLength(line.text), 0);
        assert.ok(keptBytes <= cap, `${keptBytes} bytes kept`);
        const counts = /(\d+) lines? \((\d+) bytes?\)/.exec(markers[0]?.text ?? '');
        assert.ok(counts);
        assert.equal(Number(counts[1]) + kept.length, stores.length * batches * batchSize);
        for (let i = 1; i < stored.length; i++) assert.ok((stored[i - 1]?.seq ?? 0) < (stored[i]?.seq ?? 0));
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    void it('a log line with a NUL character is stored (as U+FFFD)', async (t) => {
      const store = openPostgresStore(await databaseFor(t));
      try {
        await store.migrate();
        const build = await store.builds.insert(newBuild());
        await store.logs.append(build.id, [{ ts: 1, stream: 'stdout', text: 'a\u0000b' }], 1000);
        assert.deepEqual(
          (await store.logs.read(build.id, 0, 10)).map((line) => line.text),
          ['a\uFFFDb'],
        );
      } finally {
        await store.close();
      }
    });
  });
}
