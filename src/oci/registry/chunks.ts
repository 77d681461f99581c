/** One PATCH of a chunked upload: bytes start..end of the blob, both inclusive. */
export interface ChunkRange {
  start: number;
  end: number;
  length: number;
}

/** Splits a blob of `size` bytes into chunks of `chunkSize` (the last one shorter). */
export function chunkRanges(size: number, chunkSize: number): ChunkRange[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid blob size ${size}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`invalid chunk size ${chunkSize}`);
  const ranges: ChunkRange[] = [];
  for (let start = 0; start < size; start += chunkSize) {
    const end = Math.min(size, start + chunkSize) - 1;
    ranges.push({ start, end, length: end - start + 1 });
  }
  return ranges;
}

/** The distribution spec's `Content-Range` for a PATCH: `<start>-<end>`, inclusive, no unit. */
export function formatContentRange(range: ChunkRange): string {
  return `${range.start}-${range.end}`;
}

/** The chunk size to use: ours, raised to the registry's `OCI-Chunk-Min-Length` if it asks. */
export function effectiveChunkSize(configured: number, minLengthHeader: string | undefined): number {
  const min =
    minLengthHeader !== undefined && /^\d+$/.test(minLengthHeader.trim()) ? Number(minLengthHeader) : 0;
  return Math.max(configured, min);
}
