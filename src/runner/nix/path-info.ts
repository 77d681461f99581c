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
