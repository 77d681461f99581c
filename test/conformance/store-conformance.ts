import { describe } from 'node:test';
import { buildRecordTests } from './builds.js';
import { cacheDeletionTests } from './cache-deletion.js';
import { cacheNarTests } from './cache-nars.js';
import { cachePathTests } from './cache-paths.js';
import { cacheStatsTests } from './cache-stats.js';
import { cacheTests } from './caches.js';
import { claimTests } from './claims.js';
import { storeTestWith } from './harness.js';
import { imageStatsTests } from './image-stats.js';
import type { OpenStore } from './harness.js';
import { lifecycleTests } from './lifecycle.js';
import { logCapTests } from './log-cap.js';
import { logTests } from './logs.js';
import { maintenanceTests } from './maintenance.js';
import { statsTests } from './stats.js';
import { stepTests } from './steps.js';
import { templateTests } from './templates.js';
import { timelineTests } from './timeline.js';
import { tokenAndSettingsTests } from './tokens-settings.js';
import { versionSyncTests } from './version-syncs.js';
import { projectTests } from './projects.js';
import { runTests } from './runs.js';
import { workerRegistryTests } from './workers.js';

export type { OpenStore } from './harness.js';

/**
 * Registers the tests every Store backend must pass. `openStore(t)` opens a store; calls with the
 * same test context must reach the same database and a new context a fresh one. The suite migrates
 * each store it opens and closes it at the end of the test (close() must tolerate a second call,
 * since some tests close a store themselves).
 */
export function runStoreConformance(backendName: string, openStore: OpenStore): void {
  const storeTest = storeTestWith(openStore);
  void describe(`Store conformance: ${backendName}`, () => {
    buildRecordTests(storeTest);
    claimTests(storeTest);
    maintenanceTests(storeTest);
    statsTests(storeTest);
    imageStatsTests(storeTest);
    stepTests(storeTest);
    logTests(storeTest);
    logCapTests(storeTest);
    tokenAndSettingsTests(storeTest);
    cacheTests(storeTest);
    cacheNarTests(storeTest);
    cachePathTests(storeTest);
    cacheDeletionTests(storeTest);
    cacheStatsTests(storeTest);
    lifecycleTests(storeTest);
    templateTests(storeTest);
    versionSyncTests(storeTest);
    timelineTests(storeTest);
    runTests(storeTest);
    projectTests(storeTest);
    workerRegistryTests(storeTest);
  });
}
