import { KilnError } from '../../errors/index.js';
import { parseNixHash, renderNixHash } from '../../nar/index.js';
import type { CacheObjectRecord, CachePathView } from '../../persistence/index.js';
import { parseNarInfo, renderNarInfo, type NarInfo } from '../formats/narinfo.js';
import { DEFAULT_STORE_DIR } from '../formats/nix-cache-info.js';
import { sign, fingerprint, type SecretKey } from '../formats/signing.js';

function invalid(message: string, details?: Record<string, unknown>): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', message, details);
}

/** `sha256:<nix32>`, the one form hashes are kept and compared in. */
export function canonicalSha256(text: string, field: string): string {
  let hash;
  try {
    hash = parseNixHash(text);
  } catch {
    throw invalid(`narinfo ${field} is not a valid hash`, { [field]: text.slice(0, 200) });
  }
  if (hash.algo !== 'sha256') throw invalid(`narinfo ${field} must be a sha256 hash`);
  return renderNixHash(hash, 'base32');
}

/** An uploaded narinfo, parsed and checked against the path it was uploaded as. */
export interface UploadedNarInfo {
  info: NarInfo;
  /** The object key of the NAR it points to. */
  narKey: string;
  narHash: string;
}

/**
 * Parses a narinfo uploaded as `<hashPart>.narinfo`: it must describe that store path in
 * /nix/store and point to a NAR in this cache (`nar/...`, relative).
 */
export function parseUploadedNarInfo(text: string, hashPart: string): UploadedNarInfo {
  const info = parseNarInfo(text);
  const prefix = `${DEFAULT_STORE_DIR}/`;
  if (
    !info.storePath.startsWith(prefix) ||
    info.storePath.slice(prefix.length, prefix.length + 32) !== hashPart
  ) {
    throw invalid(
      `the narinfo describes ${info.storePath}, not a path with hash ${hashPart} in ${DEFAULT_STORE_DIR}`,
    );
  }
  if (!info.url.startsWith('nar/') || info.url.includes('?') || info.url.includes('#')) {
    throw invalid('the narinfo URL must point to a NAR uploaded to this cache (nar/...)', { url: info.url });
  }
  return { info, narKey: info.url, narHash: canonicalSha256(info.narHash, 'NarHash') };
}

/** The record to store for an uploaded narinfo whose NAR was found; throws if they disagree. */
export function pathRecordFor(
  cacheName: string,
  hashPart: string,
  uploaded: UploadedNarInfo,
  nar: { narHash: string; narSize: number },
  now: number,
): CacheObjectRecord {
  const { info } = uploaded;
  if (uploaded.narHash !== nar.narHash || info.narSize !== nar.narSize) {
    throw invalid(
      `the narinfo says NarHash ${uploaded.narHash} and NarSize ${info.narSize}, but the uploaded NAR has ${nar.narHash} and ${nar.narSize}`,
      { claimed: { narHash: uploaded.narHash, narSize: info.narSize }, actual: nar },
    );
  }
  return {
    cacheName,
    storePathHash: hashPart,
    storePath: info.storePath,
    narHash: nar.narHash,
    narSize: nar.narSize,
    references: [...info.references],
    deriver: info.deriver ?? null,
    ca: info.ca ?? null,
    signatures: [...info.sigs],
    createdAt: now,
    lastAccessedAt: now,
  };
}

/** The cache's signing keys at one moment, and the names of all its keys (retired ones too). */
export interface CacheSigner {
  keys: readonly SecretKey[];
  ourNames: ReadonlySet<string>;
}

function keyNameOf(sig: string): string {
  return sig.slice(0, Math.max(0, sig.indexOf(':')));
}

/** An uploader's signatures, minus any under one of our key names: only the server signs as us. */
export function uploaderSignatures(sigs: readonly string[], signer: CacheSigner): string[] {
  return sigs.filter((sig) => !signer.ourNames.has(keyNameOf(sig)));
}

/** Signs the path with every signing key; the signatures are stored with the path. */
export function signPath(path: Omit<CacheObjectRecord, 'signatures'>, keys: readonly SecretKey[]): string[] {
  const print = fingerprint({
    storePath: path.storePath,
    narHash: path.narHash,
    narSize: path.narSize,
    references: path.references,
  });
  return keys.map((key) => sign(print, key));
}

/**
 * The signatures to serve for a stored path: the uploader's, and ours by the keys that sign now.
 * Stored signatures are served as stored (so a record changed behind the server's back no longer
 * verifies); a signing key that has not signed the path yet (a rotation) signs it now, and
 * `added` tells the caller to store the new set.
 */
export function servedSignatures(
  path: CacheObjectRecord,
  signer: CacheSigner,
): { sigs: string[]; added: boolean } {
  const signingNames = new Set(signer.keys.map((key) => key.name));
  const theirs = uploaderSignatures(path.signatures, signer);
  const ours = path.signatures.filter((sig) => signingNames.has(keyNameOf(sig)));
  const signed = new Set(ours.map(keyNameOf));
  const missing = signer.keys.filter((key) => !signed.has(key.name));
  if (missing.length === 0) return { sigs: [...theirs, ...ours], added: false };
  return { sigs: [...theirs, ...ours, ...signPath(path, missing)], added: true };
}

/**
 * The narinfo served for a path: the file it points to is the stored copy of its NAR, whatever
 * file the uploader sent.
 */
export function renderServedNarInfo(path: CachePathView, sigs: readonly string[]): string {
  return renderNarInfo({
    storePath: path.storePath,
    url: path.nar.fileKey,
    compression: path.nar.compression,
    fileHash: path.nar.fileHash,
    fileSize: path.nar.fileSize,
    narHash: path.narHash,
    narSize: path.narSize,
    references: path.references,
    deriver: path.deriver ?? undefined,
    sigs: [...sigs],
    ca: path.ca ?? undefined,
  });
}
