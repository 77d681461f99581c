import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A ULID-style id: 10 characters of millisecond time then 16 of randomness, lower-case Crockford
 * base32. Sortable by creation time, safe in URLs and file names.
 */
export function newBuildId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (const byte of randomBytes(16)) rand += CROCKFORD[byte % 32]!;
  return time + rand;
}

export const BUILD_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;
