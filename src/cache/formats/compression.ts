import { invalid } from './text-fields.js';

/**
 * Compression names Nix accepts (compression-algo.hh). Anything not in this list is a narinfo
 * we cannot serve correctly, but parsing keeps the raw string so such files survive round trips.
 */
export const COMPRESSIONS = [
  'none',
  'xz',
  'zstd',
  'bzip2',
  'br',
  'gzip',
  'lz4',
  'lzip',
  'lzma',
  'lzop',
  'lrzip',
  'grzip',
  'compress',
] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export function isCompression(name: string): name is Compression {
  return (COMPRESSIONS as readonly string[]).includes(name);
}

// From BinaryCacheStore::uploadData(); every other method (none, gzip, …) gets no suffix.
const SUFFIXES: Readonly<Partial<Record<Compression, string>>> = {
  xz: '.xz',
  bzip2: '.bz2',
  zstd: '.zst',
  lzip: '.lzip',
  lz4: '.lz4',
  br: '.br',
};

/** The file extension Nix gives a NAR compressed with `compression`: `.nar`, `.nar.xz`, … */
export function narExtension(compression: Compression): string {
  return `.nar${SUFFIXES[compression] ?? ''}`;
}

/** The `URL:` Nix writes for a NAR: `nar/<fileHash nix32>.nar[.suffix]`. */
export function narUrl(fileHashNix32: string, compression: Compression): string {
  if (!/^[0123456789abcdfghijklmnpqrsvwxyz]{52}$/.test(fileHashNix32)) {
    throw invalid('NAR file hash must be 52 nix32 characters');
  }
  return `nar/${fileHashNix32}${narExtension(compression)}`;
}

/**
 * Guesses the compression from a NAR URL's extension (query string ignored). Only a guess: the
 * narinfo's Compression field is authoritative, and Attic-style URLs carry no suffix at all.
 */
export function compressionFromUrl(url: string): Compression | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  if (path.endsWith('.nar')) return 'none';
  for (const [name, suffix] of Object.entries(SUFFIXES)) {
    if (path.endsWith(`.nar${suffix}`) && isCompression(name)) return name;
  }
  return undefined;
}
