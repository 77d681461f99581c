import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../persistence/index.js';
import type { CleanupResult } from './types.js';

export interface CleanupDeps {
  store: Store;
  gcRootsDir: string;
  workspaceDir: string;
}

const PAGE = 500;

/**
 * Deletes finished builds older than the cut-off with their logs, workspaces and GC roots, so
 * `nix-collect-garbage` can reclaim their outputs. The newest successful build of every service
 * keeps its record and its roots: what is deployed stays in the store.
 */
export async function cleanupBuilds(
  deps: CleanupDeps,
  before: number,
  dryRun: boolean,
): Promise<CleanupResult> {
  const keep = new Set((await deps.store.builds.newestSucceededPerService()).map((b) => b.id));
  const kept: string[] = [];
  let deletedBuilds = 0;
  let removedRoots = 0;
  const seen = new Set<string>();
  for (;;) {
    const page = (await deps.store.builds.listFinishedBefore(before, PAGE)).filter((b) => !seen.has(b.id));
    if (page.length === 0) break;
    const doomed: string[] = [];
    for (const build of page) {
      seen.add(build.id);
      if (keep.has(build.id)) kept.push(build.id);
      else doomed.push(build.id);
    }
    if (!dryRun) {
      for (const id of doomed) {
        // Roots go first: a record without roots is harmless, roots without a record leak space.
        await rm(join(deps.gcRootsDir, id), { recursive: true, force: true });
        await rm(join(deps.workspaceDir, id), { recursive: true, force: true });
      }
      deletedBuilds += await deps.store.builds.delete(doomed);
    } else {
      deletedBuilds += doomed.length;
    }
    removedRoots += page.filter((b) => !keep.has(b.id) && b.outputs.length > 0).length;
    if (page.length < PAGE) break;
  }
  return { deletedBuilds, removedRoots, keptBuilds: kept, dryRun };
}
