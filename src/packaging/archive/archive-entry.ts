/** What an archive entry is, after the format-specific details are decoded. */
export type ArchiveEntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'device' | 'fifo';

/** One entry handed to the extractor; `body` must be read (or left) before the next entry. */
export interface ArchiveEntry {
  /** The path as the archive spells it (made safe by the extractor). */
  path: string;
  kind: ArchiveEntryKind;
  /** Permission bits; only the owner-executable bit reaches the NAR. */
  mode: number;
  /** Symlink target, or the archive path a hard link points at. */
  linkname: string;
  /** File contents (empty for everything but files). */
  body: AsyncIterable<Uint8Array>;
}
