import { KilnError } from '../../errors/index.js';
import type { ByteRange } from './types.js';

/** Checks the parts of a range that do not depend on the object, before any I/O. */
export function assertRangeShape(range: ByteRange): void {
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) throw new KilnError('KILN_ERR_VALIDATION', 'invalid byte range', { start, end });
}

/**
 * The inclusive byte span to serve from an object of `size` bytes. Without a range: the whole
 * object (`end` is -1 for an empty one). An end past the object is clamped, as HTTP does; a start
 * at or past the end cannot be satisfied and is KILN_ERR_VALIDATION with the size in the details
 * (the HTTP layer answers 416).
 */
export function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size - 1 };
  assertRangeShape(range);
  if (range.start >= size)
    throw new KilnError('KILN_ERR_VALIDATION', 'byte range starts past the end of the object', {
      start: range.start,
      size,
    });
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}
