import { archiveError } from './archive-error.js';
import type { ArchiveEntry, ArchiveEntryKind } from './archive-entry.js';
import { ByteReader } from './byte-reader.js';
import {
  cString,
  parsePaxRecords,
  parseTarHeader,
  TAR_BLOCK,
  tarPadding,
  type PaxRecords,
} from './tar-header.js';

/** GNU long names and pax headers are held in memory; real ones are a few hundred bytes. */
const MAX_META_SIZE = 1024 * 1024;

const KINDS: Readonly<Record<string, ArchiveEntryKind>> = {
  '0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'device',
  '4': 'device',
  '5': 'directory',
  // GNU dumpdir: a directory whose data lists its contents (ignored, as libarchive does).
  D: 'directory',
  '6': 'fifo',
};

/**
 * Reads a tar stream (ustar, GNU and pax) entry by entry. Contents are streamed: each entry's
 * body must be consumed before asking for the next entry, or it is skipped.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<ArchiveEntry, void, undefined> {
  const reader = new ByteReader(source);
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: PaxRecords = {};
  let headers = 0;
  try {
    for (;;) {
      const block = await reader.read(TAR_BLOCK);
      if (block.length === 0 && headers > 0 && longName === undefined && longLink === undefined) return;
      if (block.length < TAR_BLOCK) {
        throw archiveError(
          headers === 0
            ? 'the archive is empty or not a tar archive'
            : 'the archive is truncated (in a tar header)',
        );
      }
      const header = parseTarHeader(block);
      headers++;
      if (header === null) return;
      const size = pax.size ?? header.size;
      const padded = size + tarPadding(size);
      if (header.type === 'L' || header.type === 'K' || header.type === 'x') {
        const data = await readMeta(reader, size, padded);
        if (header.type === 'L') longName = cString(data);
        else if (header.type === 'K') longLink = cString(data);
        else pax = { ...pax, ...parsePaxRecords(data) };
        continue;
      }
      if (header.type === 'g' || header.type === 'V') {
        // Global pax headers carry only defaults kiln does not use; 'V' is a volume label.
        await reader.skip(padded, 'a tar extension header');
        continue;
      }
      if (header.type === 'S' || header.type === 'M') {
        throw archiveError(
          `tar entry '${header.name}' is a GNU ${header.type === 'S' ? 'sparse' : 'multi-volume'} file, which kiln does not support`,
        );
      }
      const path = pax.path ?? longName ?? header.name;
      const linkname = pax.linkpath ?? longLink ?? header.linkname;
      longName = undefined;
      longLink = undefined;
      pax = {};
      // Unknown type flags are regular files, as POSIX and libarchive read them.
      let kind = KINDS[header.type] ?? 'file';
      // Pre-POSIX tars mark directories only by a trailing slash (libarchive reads them so too).
      if (kind === 'file' && header.type === '0' && path.endsWith('/')) kind = 'directory';
      const dataSize = kind === 'file' ? size : 0;
      let consumed = false;
      const body = kind === 'file' ? reader.stream(size, `'${path}'`) : emptyBody();
      const tracked = (async function* (): AsyncGenerator<Uint8Array, void, undefined> {
        consumed = true;
        yield* body;
      })();
      yield { path, kind, mode: header.mode, linkname, body: tracked };
      if (!consumed) await reader.skip(dataSize, `'${path}'`);
      // Whatever follows the contents (padding, or data of links and directories) is skipped.
      await reader.skip(padded - dataSize, `'${path}'`);
    }
  } finally {
    await reader.close();
  }
}

async function readMeta(reader: ByteReader, size: number, padded: number): Promise<Uint8Array> {
  if (size > MAX_META_SIZE) throw archiveError(`tar extension header of ${size} bytes is too large`);
  const data = await reader.read(size);
  if (data.length < size) throw archiveError('the archive is truncated (in a tar extension header)');
  await reader.skip(padded - size, 'a tar extension header');
  return data;
}

async function* emptyBody(): AsyncGenerator<Uint8Array, void, undefined> {}
