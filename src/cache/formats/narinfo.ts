import {
  hasControlChar,
  invalid,
  isPrefixedHash,
  isStorePathBaseName,
  parseSize,
  sortedUnique,
  storeDirOf,
} from './text-fields.js';

/**
 * A `.narinfo` file (Nix's `NarInfo`, src/libstore/nar-info.cc). Hashes stay strings in the
 * `<algo>:<encoding>` form they were written in; converting them is src/nar's business.
 */
export interface NarInfo {
  /** Full store path, e.g. `/nix/store/<hash>-<name>`. */
  storePath: string;
  /** Where the (compressed) NAR lives, relative to the cache root or absolute. */
  url: string;
  /** Compression name; Nix reads a missing or empty field as `bzip2`. */
  compression: string;
  fileHash?: string | undefined;
  fileSize?: number | undefined;
  narHash: string;
  narSize: number;
  /** Base names (`<hash>-<name>`) of the referenced store paths, not full paths. */
  references: string[];
  /** Base name of the deriver (`<hash>-<name>.drv`). */
  deriver?: string | undefined;
  system?: string | undefined;
  /** `<keyname>:<base64>` signatures. */
  sigs: string[];
  /** Content address, e.g. `fixed:r:sha256:…`. */
  ca?: string | undefined;
}

/** Nix writes this deriver when it does not know one and reads it back as "none". */
const UNKNOWN_DERIVER = 'unknown-deriver';

/**
 * Parses a narinfo the way Nix does: `Key: value` lines in any order, unknown keys ignored,
 * repeated `Sig` collected, repeated `References`/`CA` rejected, other repeats last-wins.
 * References and signatures come back sorted and de-duplicated, as Nix holds them in std::sets.
 * Unlike Nix it also accepts a missing final newline and `Key:` with an empty value.
 */
export function parseNarInfo(text: string): NarInfo {
  const fields = new Map<string, string>();
  const sigs: string[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const colon = line.indexOf(':');
    if (colon < 0) throw invalid(`narinfo line ${index + 1} has no ':'`, { line: index + 1 });
    const key = line.slice(0, colon);
    // Nix takes the value from colon + 2, i.e. it assumes exactly one space after the colon.
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (hasControlChar(value)) throw invalid(`narinfo field ${key} contains a control character`);
    if (key === 'Sig') {
      sigs.push(value);
      continue;
    }
    if ((key === 'References' || key === 'CA') && fields.has(key)) {
      throw invalid(`narinfo has more than one ${key} line`);
    }
    fields.set(key, value);
  }
  const info: NarInfo = {
    storePath: required(fields, 'StorePath'),
    url: required(fields, 'URL'),
    compression: fields.get('Compression') || 'bzip2',
    fileHash: fields.get('FileHash'),
    fileSize: optionalSize(fields, 'FileSize'),
    narHash: required(fields, 'NarHash'),
    narSize: requiredSize(fields, 'NarSize'),
    references: sortedUnique((fields.get('References') ?? '').split(' ').filter((ref) => ref !== '')),
    deriver: optionalDeriver(fields.get('Deriver')),
    system: fields.get('System') || undefined,
    sigs: sortedUnique(sigs),
    ca: fields.get('CA') || undefined,
  };
  validateNarInfo(info);
  return info;
}

/**
 * Renders a narinfo byte-for-byte as Nix's `NarInfo::to_string()`: fixed field order, references
 * and signatures sorted and de-duplicated (Nix keeps both in std::set), `References:` always
 * present (with a trailing space when empty, as Nix writes it).
 */
export function renderNarInfo(info: NarInfo): string {
  validateNarInfo(info);
  let out = `StorePath: ${info.storePath}\nURL: ${info.url}\nCompression: ${info.compression}\n`;
  if (info.fileHash !== undefined) out += `FileHash: ${info.fileHash}\n`;
  if (info.fileSize !== undefined) out += `FileSize: ${info.fileSize}\n`;
  out += `NarHash: ${info.narHash}\nNarSize: ${info.narSize}\n`;
  out += `References: ${sortedUnique(info.references).join(' ')}\n`;
  if (info.deriver !== undefined) out += `Deriver: ${info.deriver}\n`;
  if (info.system !== undefined && info.system !== '') out += `System: ${info.system}\n`;
  for (const sig of sortedUnique(info.sigs)) out += `Sig: ${sig}\n`;
  if (info.ca !== undefined) out += `CA: ${info.ca}\n`;
  return out;
}

/** Throws KILN_ERR_VALIDATION unless `info` can be written as a narinfo Nix will accept. */
export function validateNarInfo(info: NarInfo): void {
  if (storeDirOf(info.storePath) === undefined) {
    throw invalid('narinfo StorePath is not a store path', { storePath: info.storePath });
  }
  if (info.url === '') throw invalid('narinfo URL is empty');
  if (info.compression === '') throw invalid('narinfo Compression is empty');
  if (!isPrefixedHash(info.narHash)) throw invalid('narinfo NarHash is not a valid hash');
  if (info.fileHash !== undefined && !isPrefixedHash(info.fileHash)) {
    throw invalid('narinfo FileHash is not a valid hash');
  }
  if (!Number.isSafeInteger(info.narSize) || info.narSize <= 0) {
    throw invalid('narinfo NarSize must be a positive integer');
  }
  if (info.fileSize !== undefined && (!Number.isSafeInteger(info.fileSize) || info.fileSize < 0)) {
    throw invalid('narinfo FileSize must be a non-negative integer');
  }
  for (const ref of info.references) {
    if (!isStorePathBaseName(ref)) throw invalid('narinfo reference is not a store path base name', { ref });
  }
  if (info.deriver !== undefined && !isStorePathBaseName(info.deriver)) {
    throw invalid('narinfo Deriver is not a store path base name', { deriver: info.deriver });
  }
  for (const sig of info.sigs) {
    if (!/^[^:\s]+:[A-Za-z0-9+/]+=*$/.test(sig)) throw invalid('narinfo Sig is not <keyname>:<base64>');
  }
  const text = [info.url, info.compression, info.system ?? '', info.ca ?? ''];
  if (text.some((value) => hasControlChar(value) || value !== value.trim() || /\s/.test(value))) {
    throw invalid('narinfo URL, Compression, System and CA must be single words');
  }
}

function required(fields: ReadonlyMap<string, string>, key: string): string {
  const value = fields.get(key);
  if (value === undefined || value === '') throw invalid(`narinfo ${key} missing`, { field: key });
  return value;
}

function requiredSize(fields: ReadonlyMap<string, string>, key: string): number {
  const size = parseSize(required(fields, key));
  if (size === undefined || size === 0) throw invalid(`narinfo ${key} missing or zero`, { field: key });
  return size;
}

function optionalSize(fields: ReadonlyMap<string, string>, key: string): number | undefined {
  const value = fields.get(key);
  if (value === undefined) return undefined;
  const size = parseSize(value);
  if (size === undefined) throw invalid(`narinfo ${key} is not a number`, { field: key });
  return size;
}

function optionalDeriver(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === UNKNOWN_DERIVER ? undefined : value;
}
