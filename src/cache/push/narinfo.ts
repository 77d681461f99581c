import { narUrl } from '../formats/compression.js';
import { renderNarInfo, type NarInfo } from '../formats/narinfo.js';
import type { PushPathInfo } from './types.js';

/** What uploading a NAR produced: its file name hash and size, as sent. */
export interface UploadedNar {
  /** nix32 SHA-256 of the compressed bytes. */
  fileHash: string;
  fileSize: number;
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** The narinfo kiln uploads for a pushed path: zstd NAR, the path's own signatures, deriver and CA. */
export function pushNarInfo(info: PushPathInfo, nar: UploadedNar): NarInfo {
  return {
    storePath: info.path,
    url: narUrl(nar.fileHash, 'zstd'),
    compression: 'zstd',
    fileHash: `sha256:${nar.fileHash}`,
    fileSize: nar.fileSize,
    narHash: info.narHash,
    narSize: info.narSize,
    references: info.references.map(baseName),
    deriver: info.deriver === undefined ? undefined : baseName(info.deriver),
    sigs: info.signatures,
    ca: info.ca,
  };
}

/** The narinfo text, byte-equal to what Nix writes for the same fields. */
export function renderPushNarInfo(info: PushPathInfo, nar: UploadedNar): string {
  return renderNarInfo(pushNarInfo(info, nar));
}
