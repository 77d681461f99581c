import { KilnError } from '../../errors/index.js';

/** Long enough for `log/<hash>-<name>.drv` with a long name; short enough for any backend. */
export const MAX_KEY_LENGTH = 1024;
/** NAME_MAX on common filesystems; a segment becomes a file or directory name in the fs backend. */
export const MAX_SEGMENT_LENGTH = 255;

// A conservative set: what Nix store hashes, names and our own prefixes use. No spaces, no
// percent-encoding questions, nothing a shell or URL would treat specially.
const SEGMENT = /^[A-Za-z0-9_+=-][A-Za-z0-9._+=-]*$/;

/**
 * Why `key` is not a valid object key, or undefined when it is. Segments must not start with a dot:
 * this rules out `.` and `..`, and leaves dot-names free for a backend's own bookkeeping (the fs
 * backend's temporary files), which therefore can never collide with or be listed as objects.
 */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (key.length > MAX_KEY_LENGTH) return `is longer than ${MAX_KEY_LENGTH} characters`;
  for (const segment of key.split('/')) {
    if (segment.length === 0) return 'has an empty segment (leading, trailing or double slash)';
    if (segment.length > MAX_SEGMENT_LENGTH) return `has a segment longer than ${MAX_SEGMENT_LENGTH}`;
    if (segment.startsWith('.')) return 'has a segment starting with a dot';
    if (!SEGMENT.test(segment)) return 'has characters outside [A-Za-z0-9._+=-]';
  }
  return undefined;
}

export function isValidKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined)
    throw new KilnError('KILN_ERR_VALIDATION', `invalid object key: ${problem}`, { key: key.slice(0, 200) });
}

/** A list prefix is empty, a valid key, or a valid key followed by '/'. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const asKey = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = keyProblem(asKey);
  if (problem !== undefined)
    throw new KilnError('KILN_ERR_VALIDATION', `invalid list prefix: ${problem}`, {
      prefix: prefix.slice(0, 200),
    });
}
