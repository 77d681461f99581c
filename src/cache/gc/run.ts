import { KilnError } from '../../errors/index.js';
import { planGarbageCollection, type GcKeepReason, type GcPathInput } from './plan.js';

/**
 * What garbage collection needs from persistence. The cache context does not import persistence;
 * its CacheRepo satisfies this structurally (see CacheRepo for the full contract).
 */
export interface GcRepo {
  get(name: string): Promise<{ retentionDays: number | null; deletedAt: number | null } | undefined>;
  list(): Promise<{ name: string; retentionDays: number | null; deletedAt: number | null }[]>;
  listPaths(cacheName: string): Promise<GcPathInput[]>;
  pins(cacheName: string): Promise<{ storePathHash: string }[]>;
  /** Deletes in one transaction, except what a remaining path still references; returns what went. */
  deletePaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]>;
  deleteUnreferencedNars(
    createdBefore: number,
    limit: number,
  ): Promise<{ nar: { fileKey: string; fileSize: number }; aliases: string[] }[]>;
}

/** Only deletion is needed from object storage. */
export interface GcStorage {
  delete(key: string): Promise<boolean>;
}

export interface GcDeps {
  repo: GcRepo;
  storage: GcStorage;
  clock: () => number;
}

export interface GcOptions {
  dryRun?: boolean;
  /** Collect with this retention instead of the cache's own (library's cleanupOldPackages). */
  retentionDays?: number;
  /** How many deleted store paths the report lists (default 50). */
  listLimit?: number;
}

export interface GcReport {
  cacheName: string;
  dryRun: boolean;
  retentionDays: number | null;
  /** Paths used before this time (epoch ms) were candidates; null: no retention, nothing deleted. */
  cutoff: number | null;
  /** Paths deleted (or, in a dry run, that would be). */
  deletedPaths: number;
  /** Stored file bytes of those paths (a NAR shared with another cache is counted, not freed). */
  deletedBytes: number;
  keptPaths: number;
  keptByReason: Record<GcKeepReason, number>;
  /** The first `listLimit` deleted store paths, by hash, for display. */
  storePaths: string[];
  /**
   * Paths the plan chose but deletePaths refused, because a path pushed since the plan refers to
   * them. Always 0 in a dry run.
   */
  skippedPaths: number;
  /** NAR records no path points to any more, deleted with their files (0 in a dry run). */
  narsDeleted: number;
  narBytesFreed: number;
  /** Storage keys whose deletion failed; their records are gone, so the files are orphans. */
  storageErrors: number;
}

/**
 * A NAR uploaded moments before its narinfo has no path pointing to it yet; it is spared for this
 * long so that collection never races a `nix copy` in progress.
 */
export const NAR_GRACE_MS = 60 * 60 * 1000;
const NAR_BATCH = 500;
const DEFAULT_LIST_LIMIT = 50;

/**
 * Collects one cache: plans from its paths, pins and retention, then (unless dry-running) deletes
 * the expired paths in one reference-checked transaction, and removes the NARs no cache needs any
 * more (any cache's, older than the grace period) from records and storage.
 *
 * Build logs (`logs/<cache>/<drv>`) are kept: they are small, and a log is wanted precisely when
 * someone investigates an old build whose outputs have long expired.
 */
export async function collectGarbage(
  deps: GcDeps,
  cacheName: string,
  options: GcOptions = {},
): Promise<GcReport> {
  const dryRun = options.dryRun ?? false;
  const cache = await deps.repo.get(cacheName);
  if (!cache || cache.deletedAt !== null)
    throw new KilnError('KILN_ERR_NOT_FOUND', `there is no cache named '${cacheName}'`, { cache: cacheName });
  const retentionDays = options.retentionDays ?? cache.retentionDays;
  const now = deps.clock();
  const [paths, pins] = await Promise.all([deps.repo.listPaths(cacheName), deps.repo.pins(cacheName)]);
  const plan = planGarbageCollection({
    paths,
    pins: pins.map((pin) => pin.storePathHash),
    retentionDays,
    now,
  });

  let deleted = plan.delete;
  let skippedPaths = 0;
  if (!dryRun && plan.delete.length > 0) {
    const gone = new Set(
      await deps.repo.deletePaths(
        cacheName,
        plan.delete.map((path) => path.storePathHash),
      ),
    );
    deleted = plan.delete.filter((path) => gone.has(path.storePathHash));
    skippedPaths = plan.delete.length - deleted.length;
  }

  const freed = dryRun
    ? { nars: 0, bytes: 0, errors: 0 }
    : await deleteUnreferencedNars(deps, now - NAR_GRACE_MS);
  return {
    cacheName,
    dryRun,
    retentionDays,
    cutoff: plan.cutoff,
    deletedPaths: deleted.length,
    deletedBytes: deleted.reduce((sum, path) => sum + path.fileSize, 0),
    keptPaths: plan.keep.length + skippedPaths,
    keptByReason: { ...plan.keptByReason },
    storePaths: deleted.slice(0, options.listLimit ?? DEFAULT_LIST_LIMIT).map((path) => path.storePath),
    skippedPaths,
    narsDeleted: freed.nars,
    narBytesFreed: freed.bytes,
    storageErrors: freed.errors,
  };
}

/**
 * Deletes orphaned NAR records in batches, then their files and alias keys. The record goes first:
 * a file without a record is only wasted space, a record without its file would be served as a
 * broken narinfo.
 */
async function deleteUnreferencedNars(
  deps: GcDeps,
  createdBefore: number,
): Promise<{ nars: number; bytes: number; errors: number }> {
  let nars = 0;
  let bytes = 0;
  let errors = 0;
  for (;;) {
    const batch = await deps.repo.deleteUnreferencedNars(createdBefore, NAR_BATCH);
    for (const { nar, aliases } of batch) {
      nars += 1;
      bytes += nar.fileSize;
      for (const key of new Set([nar.fileKey, ...aliases])) {
        try {
          await deps.storage.delete(key);
        } catch {
          errors += 1;
        }
      }
    }
    if (batch.length < NAR_BATCH) return { nars, bytes, errors };
  }
}

/** The body of `POST /api/v1/caches/:name/gc`: `{dryRun?: boolean}` (an empty body is `{}`). */
export async function handleGcRequest(deps: GcDeps, cacheName: string, body: unknown): Promise<GcReport> {
  const input = body ?? {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new KilnError('KILN_ERR_VALIDATION', 'the body must be a JSON object such as {"dryRun": true}');
  const extra = Object.keys(input).filter((key) => key !== 'dryRun');
  if (extra.length > 0)
    throw new KilnError('KILN_ERR_VALIDATION', `unknown field '${extra[0]}'; only dryRun is accepted`, {
      fields: extra,
    });
  const dryRun: unknown = (input as { dryRun?: unknown }).dryRun;
  if (dryRun !== undefined && typeof dryRun !== 'boolean')
    throw new KilnError('KILN_ERR_VALIDATION', 'dryRun must be true or false');
  return collectGarbage(deps, cacheName, { dryRun: dryRun ?? false });
}
