import { archiveError } from './archive-error.js';

/**
 * An archive path as safe segments below the extraction directory: leading slashes are dropped
 * (Nix extracts to `<dir>/<name>`, so `/a` lands in `a`), `.` and empty segments vanish, and `..`
 * is refused as libarchive's SECURE_NODOTDOT does. Null means the directory itself (`./`).
 */
export function entrySegments(path: string): string[] | null {
  if (path.includes('\0')) throw archiveError(`archive entry ${JSON.stringify(path)} contains a NUL byte`);
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw archiveError(`archive entry '${path}' contains '..'`);
  return segments.length === 0 ? null : segments;
}
