import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/persistence/index.js';
import { applyMigrations, readMigrations } from '../../../src/persistence/sqlite/migrate.js';
import type { Store } from '../../../src/persistence/index.js';
import { runStoreConformance } from '../../conformance/store-conformance.js';
import { newBuild } from '../../conformance/harness.js';
import { tempDir } from '../../helpers/tmp.js';
import type { WorkerTask, WorkerResult } from './sqlite-worker.js';

/** One database file per test context, so that stores opened in one test share it. */
const databases = new WeakMap<TestContext, string>();

function databaseFor(t: TestContext): string {
  let path = databases.get(t);
  if (!path) {
    path = join(tempDir(t, 'kiln-sqlite-'), 'kiln.db');
    databases.set(t, path);
  }
  return path;
}

runStoreConformance('sqlite', (t) => Promise.resolve(openSqliteStore(databaseFor(t))));

/** A migrated store closed at the end of the test body (before tempDir's cleanup runs). */
async function withStore(t: TestContext, body: (store: Store, path: string) => Promise<void>): Promise<void> {
  const path = databaseFor(t);
  const store = openSqliteStore(path);
  try {
    await store.migrate();
    await body(store, path);
  } finally {
    await store.close();
  }
}

function runWorker(task: WorkerTask): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: task });
    worker.once('message', (result: WorkerResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

void describe('sqlite store specifics', () => {
  void it('configures WAL and records each migration once', async (t) => {
    await withStore(t, async (store, path) => {
      await store.migrate();
      const db = new Database(path, { readonly: true });
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        const migrations = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
        assert.deepEqual(migrations, [
          { version: 1, name: '001_init.sql' },
          { version: 2, name: '002_caches.sql' },
          { version: 3, name: '003_warehouse.sql' },
          { version: 4, name: '004_build_cache.sql' },
          { version: 5, name: '005_git_builds.sql' },
          { version: 6, name: '006_templates.sql' },
          { version: 7, name: '007_build_images.sql' },
          { version: 8, name: '008_image_pipeline.sql' },
          { version: 9, name: '009_version_syncs.sql' },
          { version: 10, name: '010_projects.sql' },
          { version: 11, name: '011_cache_counter_history.sql' },
          { version: 12, name: '012_workers.sql' },
        ]);
      } finally {
        db.close();
      }
    });
  });

  void it('upgrades a database created before the caches migration, keeping its data', async (t) => {
    const path = databaseFor(t);
    // The state of a database from before 002: only the first migration applied.
    const migrations = await readMigrations(
      new URL('../../../src/persistence/sqlite/migrations/', import.meta.url),
    );
    const db = new Database(path);
    try {
      applyMigrations(
        db,
        migrations.filter((migration) => migration.version === 1),
        1,
      );
      // Written directly: the Store needs every migration before use.
      db.prepare("INSERT INTO settings (key, value) VALUES ('k', 'v')").run();
    } finally {
      db.close();
    }
    await withStore(t, async (store) => {
      assert.equal(await store.settings.get('k'), 'v');
      const key = {
        cacheName: 'main',
        keyName: 'main-1',
        publicKey: 'main-1:AAAA',
        secretKeyCiphertext: 'c',
        createdAt: 2,
        activatedAt: 2,
        retiresAt: null,
      };
      await store.caches.create(
        { name: 'main', private: false, priority: 40, retentionDays: null, createdAt: 2 },
        key,
      );
      assert.deepEqual(await store.caches.signingKeys('main', 3), [key]);
    });
  });

  void it('claims from connections in parallel worker threads never overlap', async (t) => {
    await withStore(t, async (store, path) => {
      const total = 200;
      const inserted: string[] = [];
      for (let i = 0; i < total; i++)
        inserted.push((await store.builds.insert(newBuild({ priority: i % 4 }))).id);
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, worker) =>
          runWorker({ kind: 'claim', path, owner: `worker-${worker}` }),
        ),
      );
      const claimed = results.flatMap((result) => result.claimedIds);
      assert.equal(claimed.length, total);
      assert.equal(new Set(claimed).size, total, 'no build claimed twice');
      assert.deepEqual([...claimed].sort(), [...inserted].sort());
      assert.equal(await store.builds.countByStatus('pending'), 0);
    });
  });

  void it('concurrent creates of the same caches from several connections create each once', async (t) => {
    await withStore(t, async (store, path) => {
      const names = Array.from({ length: 40 }, (_, i) => `race-${i}`);
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, worker) => runWorker({ kind: 'create-caches', path, worker, names })),
      );
      const created = results.flatMap((result) => result.createdCaches);
      assert.deepEqual([...created].sort(), [...names].sort(), 'each name created by exactly one worker');
      assert.deepEqual((await store.caches.list()).map((cache) => cache.name).sort(), [...names].sort());
      for (const name of names) {
        const keys = await store.caches.keys(name);
        assert.equal(keys.length, 1, `${name} has only its creator's key`);
      }
    });
  });

  void it('concurrent appends from several connections keep the log capped and consistent', async (t) => {
    await withStore(t, async (store, path) => {
      const build = await store.builds.insert(newBuild());
      const cap = 4000;
      const workers = 4;
      const batches = 50;
      const batchSize = 20;
      await Promise.all(
        Array.from({ length: workers }, (_, worker) =>
          runWorker({ kind: 'append', path, buildId: build.id, worker, batches, batchSize, cap }),
        ),
      );
      const stored = await store.logs.read(build.id, 0, 1_000_000);
      const markers = stored.filter((line) => line.stream === 'kiln');
      assert.equal(markers.length, 1);
      const kept = stored.filter((line) => line.stream !== 'kiln');
      const keptBytes = kept.reduce((sum, line) => sum + Buffer.byteLength(line.text), 0);
      assert.ok(keptBytes <= cap, `${keptBytes} bytes kept`);
      const counts = /(\d+) lines? \((\d+) bytes?\)/.exec(markers[0]?.text ?? '');
      assert.ok(counts);
      const appendedLines = workers * batches * batchSize;
      assert.equal(
        Number(counts[1]) + kept.length,
        appendedLines,
        'every line is kept or counted as dropped',
      );
      for (let i = 1; i < stored.length; i++) assert.ok((stored[i - 1]?.seq ?? 0) < (stored[i]?.seq ?? 0));
    });
  });
});
