import { KilnError } from '../errors/index.js';

/** Nix's base-32 alphabet: digits and lowercase letters minus e, o, u and t (to avoid rude words). */
export const NIX32_ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz';

const DIGIT_OF = new Map<string, number>([...NIX32_ALPHABET].map((c, i) => [c, i]));

/** Characters needed for `byteLength` bytes: `(len*8 - 1)/5 + 1` as in Nix (0 for 0 bytes). */
export function nix32EncodedLength(byteLength: number): number {
  return byteLength === 0 ? 0 : Math.floor((byteLength * 8 - 1) / 5) + 1;
}

/**
 * Nix's base-32 is not RFC 4648: it walks the bits from the end, so the first character carries the
 * most significant bits of the last byte (libutil/hash.cc printHash32).
 */
export function encodeNix32(bytes: Uint8Array): string {
  let out = '';
  for (let n = nix32EncodedLength(bytes.length) - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = ((bytes[i] ?? 0) >> j) | ((bytes[i + 1] ?? 0) << (8 - j));
    out += NIX32_ALPHABET[c & 0x1f];
  }
  return out;
}

/**
 * Decodes Nix base-32. The byte length follows from the text length; lengths that no byte count
 * encodes to, unknown characters and non-zero padding bits are rejected, so every accepted string
 * has exactly one byte sequence and re-encodes to itself.
 */
export function decodeNix32(text: string): Uint8Array {
  const size = Math.floor((text.length * 5) / 8);
  if (nix32EncodedLength(size) !== text.length) {
    throw new KilnError('KILN_ERR_VALIDATION', `invalid base-32 length ${text.length}`, {
      length: text.length,
    });
  }
  const out = new Uint8Array(size);
  for (let n = 0; n < text.length; n++) {
    const ch = text[text.length - n - 1] ?? '';
    const digit = DIGIT_OF.get(ch);
    if (digit === undefined) {
      throw new KilnError('KILN_ERR_VALIDATION', `invalid base-32 character '${ch}'`, { character: ch });
    }
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    out[i] = (out[i] ?? 0) | ((digit << j) & 0xff);
    const carry = digit >> (8 - j);
    if (i < size - 1) out[i + 1] = (out[i + 1] ?? 0) | carry;
    else if (carry !== 0)
      throw new KilnError('KILN_ERR_VALIDATION', 'base-32 string has non-zero padding bits');
  }
  return out;
}

export function encodeHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict: even length, hex digits only (either case, as Nix accepts). */
export function decodeHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new KilnError('KILN_ERR_VALIDATION', 'invalid base-16 string');
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Standard base64 with `=` padding, the form Nix prints. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Strict standard base64: Node's decoder silently skips junk, so the result must re-encode to the
 * input; that also rejects missing padding and non-zero trailing bits.
 */
export function decodeBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || bytes.toString('base64') !== text) {
    throw new KilnError('KILN_ERR_VALIDATION', 'invalid base-64 string');
  }
  return new Uint8Array(bytes);
}
