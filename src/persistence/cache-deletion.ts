/** What planPathDeletion needs to know about a cache's paths; edges never include self-references. */
export interface DeletionGraph {
  /** Held by the cache and not pinned. */
  deletable(hash: string): boolean;
  /** Hashes of the paths that reference `hash`. */
  referrers(hash: string): readonly string[];
  /** Hashes of the paths `hash` references. */
  references(hash: string): readonly string[];
}

/**
 * The requested paths that can be deleted together: deletable ones that no remaining path
 * references. Starts from every deletable requested path and drops, until nothing changes, those
 * with a referrer outside the set; a dropped path stays, so the paths it references are checked
 * again. Each path's referrers are looked up once. Returns hashes in the order requested, each once.
 */
export function planPathDeletion(requested: readonly string[], graph: DeletionGraph): string[] {
  const unique = [...new Set(requested)];
  const doomed = new Set(unique.filter((hash) => graph.deletable(hash)));
  const referrers = new Map<string, readonly string[]>();
  const pending = [...doomed];
  for (let hash = pending.pop(); hash !== undefined; hash = pending.pop()) {
    if (!doomed.has(hash)) continue;
    let found = referrers.get(hash);
    if (!found) {
      found = graph.referrers(hash);
      referrers.set(hash, found);
    }
    if (found.every((referrer) => referrer === hash || doomed.has(referrer))) continue;
    doomed.delete(hash);
    for (const reference of graph.references(hash)) if (doomed.has(reference)) pending.push(reference);
  }
  return unique.filter((hash) => doomed.has(hash));
}
