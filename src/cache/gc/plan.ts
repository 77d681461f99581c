/**
 * The garbage-collection plan of one cache: which paths go, which stay and why. Pure: the runner
 * (run.ts) fetches the inputs and carries the plan out.
 *
 * Rules:
 * - With no retention (null) nothing is deleted.
 * - A path is a candidate when it was last fetched or pushed before `now - retentionDays`.
 * - Roots are the pinned paths and every path newer than the cutoff. Everything reachable from a
 *   root through References (transitively, within the cache) is kept, so a kept path never points
 *   to a deleted one and a pinned closure stays whole.
 */

/** The length of the hash part of a store path base name (`<hash>-<name>`). */
const HASH_LENGTH = 32;
const DAY_MS = 86_400_000;

/** What the planner needs to know about one path (a subset of persistence's CachePathSummary). */
export interface GcPathInput {
  readonly storePathHash: string;
  readonly storePath: string;
  /** Base names, as in a narinfo's References line. */
  readonly references: readonly string[];
  readonly lastAccessedAt: number;
  /** Bytes of the stored (compressed) NAR file. */
  readonly fileSize: number;
  /** Bytes of the uncompressed NAR. */
  readonly narSize: number;
}

export interface GcPlanInput {
  readonly paths: readonly GcPathInput[];
  /** Hashes of the pinned paths; pins of paths the cache no longer holds are ignored. */
  readonly pins: readonly string[];
  readonly retentionDays: number | null;
  readonly now: number;
}

/**
 * Why a path stays: `pinned` (in the closure of a pin), `recent` (used since the cutoff),
 * `referenced` (expired, but a kept path refers to it) or `no-retention` (the cache keeps all).
 */
export type GcKeepReason = 'pinned' | 'recent' | 'referenced' | 'no-retention';

export interface GcKeptPath {
  readonly storePathHash: string;
  readonly storePath: string;
  readonly reason: GcKeepReason;
  /**
   * For `pinned`: the pinned path whose closure holds this one; for `referenced`: a kept path that
   * refers to it. Absent for the other reasons (and for a pinned path itself).
   */
  readonly via?: string;
}

export interface GcDeletedPath {
  readonly storePathHash: string;
  readonly storePath: string;
  readonly lastAccessedAt: number;
  readonly fileSize: number;
  readonly narSize: number;
}

export interface GcPlan {
  /** Paths used before this time are candidates; null when the cache has no retention. */
  readonly cutoff: number | null;
  /** By hash. */
  readonly delete: readonly GcDeletedPath[];
  /** By hash. */
  readonly keep: readonly GcKeptPath[];
  /** Sum of the stored file sizes of the paths to delete. */
  readonly deleteFileBytes: number;
  /** Sum of the NAR sizes of the paths to delete. */
  readonly deleteNarBytes: number;
  readonly keptByReason: Readonly<Record<GcKeepReason, number>>;
}

/** The hash part of a reference (a base name); references are kept as narinfos give them. */
export function referenceHash(baseName: string): string {
  return baseName.slice(0, HASH_LENGTH);
}

export function retentionCutoff(retentionDays: number | null, now: number): number | null {
  if (retentionDays === null) return null;
  if (!Number.isFinite(retentionDays) || retentionDays < 0)
    throw new RangeError(`retentionDays must be a number >= 0, got ${retentionDays}`);
  return now - retentionDays * DAY_MS;
}

export function planGarbageCollection(input: GcPlanInput): GcPlan {
  const cutoff = retentionCutoff(input.retentionDays, input.now);
  const byHash = new Map<string, GcPathInput>();
  for (const path of input.paths) byHash.set(path.storePathHash, path);
  const hashes = [...byHash.keys()].sort();
  const kept = new Map<string, { reason: GcKeepReason; via?: string }>();

  if (cutoff === null) {
    for (const hash of hashes) kept.set(hash, { reason: 'no-retention' });
  } else {
    // Pins first, so a path both pinned-reachable and recent is reported as pinned (the stronger
    // reason: it stays even once it is old). Then recent paths, then what they reach.
    const pinned = [...new Set(input.pins)].filter((hash) => byHash.has(hash)).sort();
    for (const pin of pinned) mark(pin, { reason: 'pinned' });
    for (const pin of pinned) spread(pin, (from) => ({ reason: 'pinned', via: kept.get(from)?.via ?? from }));
    for (const hash of hashes) {
      if (!kept.has(hash) && byHash.get(hash)!.lastAccessedAt >= cutoff) mark(hash, { reason: 'recent' });
    }
    for (const hash of hashes) {
      if (kept.get(hash)?.reason === 'recent') spread(hash, (from) => ({ reason: 'referenced', via: from }));
    }
  }

  const keep: GcKeptPath[] = [];
  const remove: GcDeletedPath[] = [];
  const keptByReason: Record<GcKeepReason, number> = {
    pinned: 0,
    recent: 0,
    referenced: 0,
    'no-retention': 0,
  };
  let deleteFileBytes = 0;
  let deleteNarBytes = 0;
  for (const hash of hashes) {
    const path = byHash.get(hash)!;
    const why = kept.get(hash);
    if (why) {
      keptByReason[why.reason] += 1;
      keep.push({
        storePathHash: hash,
        storePath: path.storePath,
        reason: why.reason,
        ...(why.via !== undefined && { via: why.via }),
      });
    } else {
      deleteFileBytes += path.fileSize;
      deleteNarBytes += path.narSize;
      remove.push({
        storePathHash: hash,
        storePath: path.storePath,
        lastAccessedAt: path.lastAccessedAt,
        fileSize: path.fileSize,
        narSize: path.narSize,
      });
    }
  }
  return { cutoff, delete: remove, keep, deleteFileBytes, deleteNarBytes, keptByReason };

  function mark(hash: string, why: { reason: GcKeepReason; via?: string }): void {
    kept.set(hash, why);
  }

  /** Keeps everything `root` reaches that is not kept yet; `why(from)` explains each new path. */
  function spread(root: string, why: (from: string) => { reason: GcKeepReason; via?: string }): void {
    const stack = [root];
    while (stack.length > 0) {
      const from = stack.pop()!;
      for (const reference of byHash.get(from)?.references ?? []) {
        const to = referenceHash(reference);
        if (kept.has(to) || !byHash.has(to)) continue; // kept already, or not in this cache
        mark(to, why(from));
        stack.push(to);
      }
    }
  }
}
