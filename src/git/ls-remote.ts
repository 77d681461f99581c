/** One line of `git ls-remote --symref` output. */
export interface LsRemoteEntry {
  sha: string;
  name: string;
}

export interface LsRemoteListing {
  entries: LsRemoteEntry[];
  /** `ref: refs/heads/main\tHEAD` lines: symbolic ref name → target. */
  symrefs: Map<string, string>;
}

const ENTRY = /^([0-9a-f]{40})\t(\S+)$/;
const SYMREF = /^ref: (\S+)\t(\S+)$/;

export function parseLsRemote(lines: readonly string[]): LsRemoteListing {
  const entries: LsRemoteEntry[] = [];
  const symrefs = new Map<string, string>();
  for (const line of lines) {
    const entry = ENTRY.exec(line);
    if (entry) entries.push({ sha: entry[1] ?? '', name: entry[2] ?? '' });
    const symref = SYMREF.exec(line);
    if (symref) symrefs.set(symref[2] ?? '', symref[1] ?? '');
  }
  return { entries, symrefs };
}

/** The full refnames `ref` may stand for, in the order git itself prefers (git rev-parse rules). */
export function candidateRefnames(ref: string): string[] {
  return candidates(ref);
}

/** ls-remote patterns for `ref`: a tag's peeled line (`^{}`) is listed only when asked for. */
export function lsRemotePatterns(ref: string): string[] {
  return candidates(ref).flatMap((name) => (name.startsWith('refs/tags/') ? [name, `${name}^{}`] : [name]));
}

function candidates(ref: string): string[] {
  if (ref === 'HEAD') return ['HEAD'];
  if (ref.startsWith('refs/')) return [ref];
  return [`refs/heads/${ref}`, `refs/tags/${ref}`];
}

/**
 * Picks the commit `ref` names from a listing. ls-remote patterns match any ref *ending* in the
 * pattern (`main` also matches refs/heads/feature/main), so only exact refnames count here, and an
 * annotated tag resolves to the commit it points at (its `^{}` line).
 */
export function resolveFromListing(
  listing: LsRemoteListing,
  ref: string | undefined,
): { commit: string; ref: string } | null {
  const byName = new Map(listing.entries.map((e) => [e.name, e.sha]));
  for (const name of candidateRefnames(ref ?? 'HEAD')) {
    const sha = byName.get(`${name}^{}`) ?? byName.get(name);
    if (sha === undefined) continue;
    if (name === 'HEAD') return { commit: sha, ref: listing.symrefs.get('HEAD') ?? 'HEAD' };
    return { commit: sha, ref: name };
  }
  return null;
}
