/** Builds tar blocks by hand so the reader's edge cases can be tested byte for byte. */
export interface HeaderFields {
  name: string;
  size?: number;
  mode?: number;
  type?: string;
  linkname?: string;
  /** 'ustar' (POSIX, with prefix) or 'gnu' ("ustar  \0"). */
  magic?: 'ustar' | 'gnu';
  prefix?: string;
  /** Raw size field (e.g. base-256), written instead of the octal size. */
  rawSize?: Uint8Array;
}

export function tarHeader(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  if (fields.rawSize) Buffer.from(fields.rawSize).copy(block, 124);
  else block.write(`${(fields.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(fields.type ?? '0', 156, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  if ((fields.magic ?? 'ustar') === 'ustar') block.write('ustar\x0000', 257, 'latin1');
  else block.write('ustar  \0', 257, 'latin1');
  if (fields.prefix !== undefined) block.write(fields.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Contents padded to whole blocks. */
export function tarData(data: string | Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

/** A pax record with its self-including length. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length++;
  return `${length}${body}`;
}

export const END = Buffer.alloc(1024);
