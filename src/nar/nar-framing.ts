/** Shared NAR framing (libutil/serialise.cc writeString/writePadding, archive.cc). */

export const NAR_MAGIC = 'nix-archive-1';

const encoder = new TextEncoder();

/** Zero bytes needed after `length` bytes to reach a multiple of 8. */
export function padding(length: number): number {
  return (8 - (length % 8)) % 8;
}

/** A little-endian u64, as Nix's `operator<<(Sink &, uint64_t)` writes it. */
export function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

/** A NAR string: u64 length, the bytes, zero padding to 8. */
export function narString(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  const out = new Uint8Array(8 + bytes.length + padding(bytes.length));
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  return out;
}

/** Several NAR strings in one buffer: tokens are tiny and chunk count costs more than copying. */
export function narStrings(...values: (string | Uint8Array)[]): Uint8Array {
  const parts = values.map(narString);
  return Buffer.concat(parts);
}

/** Byte-wise comparison, the order of Nix's std::map<std::string, …> directory listing. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
