import { archiveError } from './archive-error.js';

/** Pulls exact byte counts out of a chunked stream without holding more than one chunk. */
export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Up to `n` bytes: fewer only at the end of the stream. */
  async read(n: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let have = 0;
    while (have < n) {
      const chunk = await this.#next(n - have);
      if (chunk === null) break;
      parts.push(chunk);
      have += chunk.length;
    }
    return parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
  }

  /** Exactly `n` bytes, as chunks; a stream that ends early is a truncated archive. */
  async *stream(n: number, what: string): AsyncGenerator<Uint8Array, void, undefined> {
    let left = n;
    while (left > 0) {
      const chunk = await this.#next(left);
      if (chunk === null) throw archiveError(`the archive is truncated (in ${what})`);
      left -= chunk.length;
      yield chunk;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const chunk of this.stream(n, what)) void chunk;
  }

  /** Stops reading the source (closes a decompressor early). */
  async close(): Promise<void> {
    await this.#source.return?.();
  }

  /** At most `max` bytes from the buffer or the next source chunk; null at the end. */
  async #next(max: number): Promise<Uint8Array | null> {
    while (this.#pending.length === 0) {
      if (this.#done) return null;
      const next = await this.#source.next();
      if (next.done === true) {
        this.#done = true;
        return null;
      }
      this.#pending = next.value;
    }
    const take = this.#pending.subarray(0, max);
    this.#pending = this.#pending.subarray(take.length);
    return take;
  }
}
