/**
 * Sums the NAR sizes in `nix path-info --recursive --json` output, each store path once. Nix 2.8
 * prints an array of `{path, narSize, …}`; Nix 2.19 and later print an object keyed by path.
 */
export function sumClosureNarSize(json: string): number {
  const parsed: unknown = JSON.parse(json);
  let entries: [string, unknown][];
  if (Array.isArray(parsed)) entries = parsed.map((info: unknown) => [pathOf(info), info]);
  else if (typeof parsed === 'object' && parsed !== null) entries = Object.entries(parsed);
  else throw new Error('expected a JSON array or object');
  const sizes = new Map<string, number>();
  for (const [path, info] of entries) {
    if (info === null) throw new Error(`${path} is not a valid store path`);
    const narSize = (info as { narSize?: unknown }).narSize;
    if (typeof narSize !== 'number' || !Number.isFinite(narSize) || narSize < 0) {
      throw new Error(`no narSize for ${path}`);
    }
    sizes.set(path, narSize);
  }
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

function pathOf(info: unknown): string {
  const path = typeof info === 'object' && info !== null ? (info as { path?: unknown }).path : undefined;
  if (typeof path !== 'string') throw new Error('entry without a path');
  return path;
}

interface PathInfoEntry {
  narSize: number;
  references: string[];
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
    if (!Array.isArray(references) || references.some((r) => typeof r !== 'string')) {
      throw new Error(`no references for ${path}`);
    }
    map.set(path, { narSize, references: references as string[] });
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
      total += info.narSize;
      stack.push(...info.references);
    }
    return total;
  });
}
