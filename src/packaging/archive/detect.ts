/** The archive formats kiln unpacks: tar (plain or compressed) and zip. */
export type ArchiveFormat = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar.zst' | 'zip';

/** How many leading bytes detectArchiveFormat looks at (a tar header is 512). */
export const DETECT_BYTES = 512;

const MAGIC: ReadonlyArray<readonly [ArchiveFormat, readonly number[]]> = [
  ['tar.gz', [0x1f, 0x8b]],
  ['tar.xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['tar.bz2', [0x42, 0x5a, 0x68]],
  ['tar.zst', [0x28, 0xb5, 0x2f, 0xfd]],
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  // An empty zip is only its end record.
  ['zip', [0x50, 0x4b, 0x05, 0x06]],
];

/**
 * The format from the first bytes (like libarchive, never from the file name), or null. A plain
 * tar is recognised by its ustar magic or, for old v7 archives, a valid header checksum.
 */
export function detectArchiveFormat(head: Uint8Array): ArchiveFormat | null {
  for (const [format, magic] of MAGIC) {
    if (magic.every((byte, i) => head[i] === byte)) return format;
  }
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  if (head.length >= 512 && looksLikeV7Tar(head)) return 'tar';
  // A tar with no entries is only end-of-archive blocks (what `tar -cf x.tar -T /dev/null` writes).
  if (head.length >= 512 && head.subarray(0, 512).every((byte) => byte === 0)) return 'tar';
  return null;
}

function looksLikeV7Tar(head: Uint8Array): boolean {
  const field = Buffer.from(head.subarray(148, 156)).toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (head[i] ?? 0);
  return parseInt(field, 8) === sum;
}
