import { hasControlChar, invalid } from './text-fields.js';

/** The `nix-cache-info` file at a cache's root (read in Nix's `BinaryCacheStore::init()`). */
export interface NixCacheInfo {
  storeDir: string;
  /** Nix only queries caches with WantMassQuery in bulk (`querySubstitutablePaths`). */
  wantMassQuery: boolean;
  /** Lower is preferred; cache.nixos.org uses 40. Absent means the client's default (50). */
  priority?: number | undefined;
}

export const DEFAULT_STORE_DIR = '/nix/store';

export function renderNixCacheInfo(info: NixCacheInfo): string {
  validate(info);
  let out = `StoreDir: ${info.storeDir}\nWantMassQuery: ${info.wantMassQuery ? 1 : 0}\n`;
  if (info.priority !== undefined) out += `Priority: ${info.priority}\n`;
  return out;
}

/**
 * Parses like Nix: lines without ':' and unknown keys are ignored, values are trimmed,
 * WantMassQuery is true only for "1". A missing StoreDir is not checked by Nix, so it means the
 * default store dir here.
 */
export function parseNixCacheInfo(text: string): NixCacheInfo {
  const info: NixCacheInfo = { storeDir: DEFAULT_STORE_DIR, wantMassQuery: false };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'StoreDir') info.storeDir = value;
    else if (key === 'WantMassQuery') info.wantMassQuery = value === '1';
    else if (key === 'Priority') {
      // Nix uses std::stoi, which throws on non-numbers; a cache with such a value is broken.
      if (!/^[-+]?[0-9]{1,9}$/.test(value)) throw invalid('nix-cache-info Priority is not an integer');
      info.priority = Number(value);
    }
  }
  validate(info);
  return info;
}

function validate(info: NixCacheInfo): void {
  const dir = info.storeDir;
  if (!dir.startsWith('/') || dir.length < 2 || dir.endsWith('/') || /\s/.test(dir) || hasControlChar(dir)) {
    throw invalid('nix-cache-info StoreDir must be an absolute path', { storeDir: dir });
  }
  if (info.priority !== undefined && !Number.isSafeInteger(info.priority)) {
    throw invalid('nix-cache-info Priority must be an integer');
  }
}
