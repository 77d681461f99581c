import fc from 'fast-check';
import type { NarInfo } from '../../../src/cache/index.js';

const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz';
const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const chars = (alphabet: string, minLength: number, maxLength = minLength): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });

export const nix32Hash = (length: number): fc.Arbitrary<string> => chars(NIX32, length);

const storeName = fc
  .tuple(chars(NAME_CHARS.replace('.', ''), 1, 1), chars(NAME_CHARS, 0, 20))
  .map(([first, rest]) => first + rest);

export const baseName: fc.Arbitrary<string> = fc
  .tuple(nix32Hash(32), storeName)
  .map(([hash, name]) => `${hash}-${name}`);

export const sha256Nix32: fc.Arbitrary<string> = nix32Hash(52).map((hash) => `sha256:${hash}`);

const sig: fc.Arbitrary<string> = fc
  .tuple(chars(NAME_CHARS, 1, 12), chars(BASE64, 86))
  .map(([name, data]) => `${name}:${data}==`);

const word = chars(NAME_CHARS + '/:', 1, 30);

/** Narinfos in the canonical form renderNarInfo writes (sorted, de-duplicated sets). */
export const narInfo: fc.Arbitrary<NarInfo> = fc
  .record({
    storePath: baseName.map((base) => `/nix/store/${base}`),
    url: word,
    compression: fc.constantFrom('xz', 'zstd', 'none', 'bzip2', 'br'),
    fileHash: fc.option(sha256Nix32, { nil: undefined }),
    fileSize: fc.option(fc.nat(), { nil: undefined }),
    narHash: sha256Nix32,
    narSize: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    references: fc.uniqueArray(baseName, { maxLength: 5 }).map((refs) => refs.sort()),
    deriver: fc.option(
      baseName.map((base) => `${base}.drv`),
      { nil: undefined },
    ),
    system: fc.option(fc.constantFrom('x86_64-linux', 'aarch64-darwin'), { nil: undefined }),
    sigs: fc.uniqueArray(sig, { maxLength: 3 }).map((sigs) => sigs.sort()),
    ca: fc.option(
      nix32Hash(52).map((hash) => `fixed:r:sha256:${hash}`),
      { nil: undefined },
    ),
  })
  // fc.record builds null-prototype objects, which deepEqual tells apart from parse results.
  .map((info) => ({ ...info }));
