/** Pure helpers of the follow benchmark: latency histograms and log fingerprints. */
import { createHash, type Hash } from 'node:crypto';

/** Latencies in whole milliseconds (the resolution of the stored `ts`); the last bucket is "or more". */
export const HISTOGRAM_MS = 60_000;

export function newHistogram(): Uint32Array {
  return new Uint32Array(HISTOGRAM_MS + 1);
}

export function record(histogram: Uint32Array, latencyMs: number): void {
  // A line stamped within the same millisecond it is parsed can read -0 or, across clock reads, -1.
  const bucket = Math.min(HISTOGRAM_MS, Math.max(0, Math.round(latencyMs)));
  histogram[bucket] = (histogram[bucket] ?? 0) + 1;
}

/** Non-empty buckets as [ms, count] pairs: small enough to pass between processes as JSON. */
export function sparse(histogram: Uint32Array): [number, number][] {
  const out: [number, number][] = [];
  histogram.forEach((count, ms) => {
    if (count > 0) out.push([ms, count]);
  });
  return out;
}

export function merge(parts: readonly (readonly [number, number][])[]): Uint32Array {
  const histogram = newHistogram();
  for (const part of parts) {
    for (const [ms, count] of part) histogram[ms] = (histogram[ms] ?? 0) + count;
  }
  return histogram;
}

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles (nearest rank) of a histogram, in ms. */
export function summarize(histogram: Uint32Array): Summary {
  let count = 0;
  let max = 0;
  histogram.forEach((c, ms) => {
    count += c;
    if (c > 0) max = ms;
  });
  const at = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (let ms = 0; ms < histogram.length; ms++) {
      seen += histogram[ms] ?? 0;
      if (seen >= rank) return ms;
    }
    return max;
  };
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max };
}

/**
 * A running fingerprint of a log as a follower saw it: line count, order, and a digest of every
 * `seq TAB text` so that two followers (or a follower and the stored log) compare in O(1).
 */
export class LogFingerprint {
  readonly #hash: Hash = createHash('sha256');
  count = 0;
  lastSeq = 0;
  /** Lines whose seq was not greater than the one before: out of order or repeated. */
  disorders = 0;

  add(seq: number, text: string): void {
    if (seq <= this.lastSeq) this.disorders++;
    this.lastSeq = seq;
    this.count++;
    this.#hash.update(`${seq}\t${text}\n`);
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}
