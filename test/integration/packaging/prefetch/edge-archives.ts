import { execFileSync } from 'node:child_process';

// Archives GNU tar will not write (absolute names, '..', duplicates, entries through symlinks,
// FIFOs, DOS-made zips), made with python3's tarfile and zipfile.
const SCRIPT = `
import io, sys, tarfile, zipfile
out = sys.argv[1]
def add(t, name, data=b'', mode=0o644, type=tarfile.REGTYPE, link=''):
    info = tarfile.TarInfo(name)
    info.mode, info.type, info.linkname = mode, type, link
    info.size = len(data) if type == tarfile.REGTYPE else 0
    t.addfile(info, io.BytesIO(data) if type == tarfile.REGTYPE else None)
def tar(name, *entries):
    with tarfile.open(f'{out}/{name}', 'w', format=tarfile.GNU_FORMAT) as t:
        for e in entries: add(t, *e)
tar('absolute.tar', ('/abs/x', b'hi'), ('/abs/y', b'yo', 0o755))
tar('duplicates.tar', ('p/x', b'first'), ('p/x', b'second', 0o755), ('p/l', b'', 0o777, tarfile.SYMTYPE, 'x'),
    ('p/l', b'now a file'), ('p/d', b'file first'), ('p/d', b'', 0o755, tarfile.DIRTYPE), ('p/d/in', b'in'))
tar('dot-root.tar', ('./', b'', 0o755, tarfile.DIRTYPE), ('./a', b'x'), ('./b', b'y'))
tar('hardlink-first.tar', ('p/a', b'data', 0o755), ('p/b', b'', 0o644, tarfile.LNKTYPE, 'p/a'))
tar('dotdot.tar', ('p/../../evil', b'hi'))
tar('through-symlink.tar', ('p/l', b'', 0o777, tarfile.SYMTYPE, '/tmp'), ('p/l/evil', b'x'))
tar('fifo.tar', ('p/fifo', b'', 0o644, tarfile.FIFOTYPE), ('p/a', b'x'))
tar('segment-too-long.tar', ('p/' + 'n' * 300, b'x'))
tar('chardev.tar', ('p/dev', b'', 0o644, tarfile.CHRTYPE), ('p/a', b'x'))
with zipfile.ZipFile(f'{out}/dos.zip', 'w') as z:
    info = zipfile.ZipInfo('p/run.sh'); info.create_system = 0; info.external_attr = 0x20
    z.writestr(info, b'#!/bin/sh\\n')
    info = zipfile.ZipInfo('p/d/'); info.create_system = 0; info.external_attr = 0x10
    z.writestr(info, b'')
# zip64: the end record's fields set to all ones, the real values in a zip64 end record found
# through its locator (what zip writers do past 65535 entries or 4 GiB, made small here).
import struct
with zipfile.ZipFile(f'{out}/zip64-source.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(5):
        info = zipfile.ZipInfo(f'p/{i}.txt'); info.external_attr = (0o100755 if i % 2 else 0o100644) << 16
        z.writestr(info, f'file {i}\\n' * 50)
data = open(f'{out}/zip64-source.zip', 'rb').read()
end = data.rfind(b'PK\\x05\\x06')
_, _, _, count, _, size, offset, _ = struct.unpack('<IHHHHIIH', data[end:end + 22])
zip64_end = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, count, count, size, offset)
locator = struct.pack('<IIQI', 0x07064b50, 0, end, 1)
old_end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
open(f'{out}/zip64.zip', 'wb').write(data[:end] + zip64_end + locator + old_end)
with zipfile.ZipFile(f'{out}/stored.zip', 'w', zipfile.ZIP_STORED) as z:
    info = zipfile.ZipInfo('p/plain.txt'); info.external_attr = 0o100600 << 16
    z.writestr(info, b'stored, not deflated\\n' * 100)
    info = zipfile.ZipInfo('p/x'); info.external_attr = 0o100700 << 16
    z.writestr(info, b'')
`;

/** Writes the edge-case archives into `dir`. */
export function makeEdgeArchives(dir: string): void {
  execFileSync('python3', ['-c', SCRIPT, dir]);
}

/** Archives Nix unpacks; kiln must give the same hash. */
export const NIX_ACCEPTS = [
  'absolute.tar',
  'duplicates.tar',
  'dot-root.tar',
  'hardlink-first.tar',
  'dos.zip',
  'stored.zip',
  'zip64.zip',
] as const;

/** Archives Nix refuses; kiln must refuse them too, with these messages. */
export const NIX_REFUSES: ReadonlyArray<readonly [string, RegExp]> = [
  ['dotdot.tar', /archive entry 'p\/\.\.\/\.\.\/evil' contains '\.\.'/],
  ['through-symlink.tar', /'p\/l\/evil' would be written through the symlink 'p\/l'/],
  ['fifo.tar', /'p\/fifo' is a FIFO, which a Nix store path cannot hold/],
  ['chardev.tar', /'p\/dev' is a device file, which a Nix store path cannot hold/],
  ['segment-too-long.tar', /cannot be extracted: ENAMETOOLONG/],
];
