/**
 * Sums the NAR sizes in `nix path-info --recursive --json` output, each store path once. Nix 2.8
 * prints an array of `{path, narSize, …}`; Nix 2.19 and later print an object keyed by path.
 */
export function sumClosureNarSize(json: string): number {
  let total = 0;
  for (const info of pathInfoEntries(json).values()) total += info.narSize;
  return total;
}

function pathOf(info: unknown): string {
  const path = typeof info === 'object' && info !== null ? (info as { path?: unknown }).path : undefined;
  if (typeof path !== 'string') throw new Error('entry without a path');
  return path;
}

interface PathInfoEntry {
  narSize: number;
  /** Undefined when the output lacks them; only the closure walk needs them. */
  references: string[] | undefined;
}

function pathInfoEntries(json: string): Map<string, PathInfoEntry> {
  const parsed: unknown = JSON.parse(json);
  let entries: [string, unknown][];
  if (Array.isArray(parsed)) entries = parsed.map((info: unknown) => [pathOf(info), info]);
  else if (typeof parsed === 'object' && parsed !== null) entries = Object.entries(parsed);
  else throw new Error('expected a JSON array or object');
  const map = new Map<string, PathInfoEntry>();
  for (const [path, info] of entries) {
    if (info === null) throw new Error(`${path} is not a valid store path`);
    const { narSize, references } = info as { narSize?: unknown; references?: unknown };
    if (typeof narSize !== 'number' || !Number.isFinite(narSize) || narSize < 0) {
      throw new Error(`no narSize for ${path}`);
    }
    const names: unknown[] | undefined = Array.isArray(references) ? references : undefined;
    const valid = names?.every((r): r is string => typeof r === 'string') ?? false;
    map.set(path, { narSize, references: valid ? (names as string[]) : undefined });
  }
  return map;
}

/**
 * Closure sizes of several sets of store paths from one `nix path-info --recursive --json` over
 * their union: each set's closure is walked through the references, counting every path once.
 */
export function closureSizesFromPathInfo(json: string, pathSets: readonly (readonly string[])[]): number[] {
  const infos = pathInfoEntries(json);
  return pathSets.map((roots) => {
    const seen = new Set<string>();
    const stack = [...roots];
    let total = 0;
    while (stack.length > 0) {
      const path = stack.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const info = infos.get(path);
      if (!info) throw new Error(`${path} is missing from nix path-info's answer`);
      if (!info.references) throw new Error(`no references for ${path}`);
      total += info.narSize;
      stack.push(...info.references);
    }
    return total;
  });
}
