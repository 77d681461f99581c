import { it } from 'node:test';
import type { TestContext } from 'node:test';
import type { NewBuild, Store } from '../../src/persistence/types.js';

/**
 * Opens a Store for a test. Every call with the same test context must reach the same database
 * (that is how the suite checks durability and reopening); a new context gets a fresh, empty one.
 * The suite calls migrate() on each store it opens and closes them when the test ends.
 */
export type OpenStore = (t: TestContext) => Promise<Store>;

export interface StoreTestContext {
  /** A migrated store on this test's database. */
  store: Store;
  /** Opens (and migrates) another store on the same database. */
  open: () => Promise<Store>;
  t: TestContext;
}

export type StoreTest = (name: string, body: (context: StoreTestContext) => Promise<void>) => void;

/**
 * `it` with a store. Stores are closed at the end of the test body rather than in `t.after`, so
 * that they are closed before any cleanup the backend registered (such as removing a temporary
 * directory) runs.
 */
export function storeTestWith(openStore: OpenStore): StoreTest {
  return (name, body) => {
    void it(name, async (t) => {
      const opened: Store[] = [];
      const open = async (): Promise<Store> => {
        const store = await openStore(t);
        opened.push(store);
        await store.migrate();
        return store;
      };
      try {
        await body({ store: await open(), open, t });
      } finally {
        for (const store of opened.reverse()) await store.close();
      }
    });
  };
}

let buildCounter = 0;

/** A NewBuild with every field set to something distinctive; ids are unique across the run. */
export function newBuild(overrides: Partial<NewBuild> = {}): NewBuild {
  buildCounter += 1;
  return {
    id: `build-${buildCounter}-${Math.random().toString(36).slice(2, 8)}`,
    source: { kind: 'expr', expression: 'with import <nixpkgs> {}; hello', fileName: 'default.nix' },
    env: { GREETING: 'hello', EMPTY: '' },
    system: 'x86_64-linux',
    groupId: 'group-1',
    serviceId: 'service-1',
    labels: { team: 'core' },
    priority: 0,
    timeoutSeconds: 3600,
    maxSilentSeconds: 600,
    drvPaths: ['/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12.drv'],
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** Inserts builds in order and returns them as stored. */
export async function insertBuilds(store: Store, builds: readonly NewBuild[]) {
  const records = [];
  for (const build of builds) records.push(await store.builds.insert(build));
  return records;
}

export function ids(records: readonly { id: string }[]): string[] {
  return records.map((record) => record.id);
}

export function sortedIds(records: readonly { id: string }[]): string[] {
  return ids(records).sort();
}
