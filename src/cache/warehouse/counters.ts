import type { CacheCounters, CacheRepo } from '../../persistence/index.js';

type Deltas = { -readonly [K in keyof CacheCounters]: number };

function zero(): Deltas {
  return { narinfoHits: 0, narinfoMisses: 0, narsServed: 0, narBytesServed: 0, uploads: 0, uploadBytes: 0 };
}

/**
 * Counters and access times gathered in memory on the hot path and written in batches, so that
 * serving a narinfo costs no write. A crash loses at most one flush interval of statistics,
 * never a cache object.
 */
export class CounterBuffer {
  readonly #repo: Pick<CacheRepo, 'addStats' | 'counters' | 'touchPaths'>;
  #pending = new Map<string, Deltas>();
  #touched = new Map<string, Set<string>>();
  #flushing: Promise<void> = Promise.resolve();

  constructor(repo: Pick<CacheRepo, 'addStats' | 'counters' | 'touchPaths'>) {
    this.#repo = repo;
  }

  #deltas(cacheName: string): Deltas {
    let deltas = this.#pending.get(cacheName);
    if (!deltas) {
      deltas = zero();
      this.#pending.set(cacheName, deltas);
    }
    return deltas;
  }

  hit(cacheName: string, hashPart: string): void {
    this.#deltas(cacheName).narinfoHits++;
    let touched = this.#touched.get(cacheName);
    if (!touched) {
      touched = new Set();
      this.#touched.set(cacheName, touched);
    }
    touched.add(hashPart);
  }

  miss(cacheName: string): void {
    this.#deltas(cacheName).narinfoMisses++;
  }

  served(cacheName: string, bytes: number): void {
    const deltas = this.#deltas(cacheName);
    deltas.narsServed++;
    deltas.narBytesServed += bytes;
  }

  uploaded(cacheName: string, bytes: number): void {
    const deltas = this.#deltas(cacheName);
    deltas.uploads++;
    deltas.uploadBytes += bytes;
  }

  /** Stored counters plus what is still buffered. */
  async totals(cacheName: string): Promise<CacheCounters> {
    const stored = await this.#repo.counters(cacheName);
    const pending = this.#pending.get(cacheName) ?? zero();
    const sum = zero();
    for (const key of Object.keys(sum) as (keyof Deltas)[]) sum[key] = stored[key] + pending[key];
    return sum;
  }

  /** Writes what is buffered; concurrent calls run one after the other. */
  flush(now: number): Promise<void> {
    const run = async (): Promise<void> => {
      const pending = this.#pending;
      const touched = this.#touched;
      this.#pending = new Map();
      this.#touched = new Map();
      for (const [cacheName, deltas] of pending) await this.#repo.addStats(cacheName, deltas, now);
      for (const [cacheName, hashes] of touched) await this.#repo.touchPaths(cacheName, [...hashes], now);
    };
    this.#flushing = this.#flushing.then(run, run);
    return this.#flushing;
  }
}
