import type { LogLineInput, LogRepo, LogStream } from '../persistence/index.js';

/**
 * Buffers log lines and writes them in one transaction, so a chatty builder costs one commit per
 * batch rather than per line: at most one commit every `flushMs`. A line arriving after a quiet
 * spell is committed at once (with whatever arrives in the same turn of the event loop), so live
 * followers do not wait out the window; lines are committed within `flushMs` of arriving either
 * way: a crash loses at most that window, never a flushed line.
 */
export class LogSink {
  readonly #logs: LogRepo;
  readonly #buildId: string;
  readonly #capBytes: number;
  readonly #onFlushed: () => void;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  #buffer: LogLineInput[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #lastFlushAt = 0;

  constructor(options: {
    logs: LogRepo;
    buildId: string;
    capBytes: number;
    onFlushed: () => void;
    flushMs?: number;
    maxBatch?: number;
  }) {
    this.#logs = options.logs;
    this.#buildId = options.buildId;
    this.#capBytes = options.capBytes;
    this.#onFlushed = options.onFlushed;
    this.#flushMs = options.flushMs ?? 20;
    this.#maxBatch = options.maxBatch ?? 500;
  }

  write(stream: LogStream, text: string, ts: number = Date.now()): void {
    this.#buffer.push({ ts, stream, text });
    if (this.#buffer.length >= this.#maxBatch) this.#flushInBackground();
    else {
      const wait = Math.max(0, this.#lastFlushAt + this.#flushMs - Date.now());
      this.#timer ??= setTimeout(() => this.#flushInBackground(), wait);
    }
  }

  /**
   * A flush nobody awaits: a failed write (the database unreachable) is remembered and thrown by
   * the next awaited flush; it must not become an unhandled rejection that ends the process.
   */
  #flushInBackground(): void {
    this.flush().catch(() => undefined);
  }

  /** Writes everything buffered so far; resolves when it is committed. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#buffer;
    this.#buffer = [];
    this.#lastFlushAt = Date.now();
    if (batch.length > 0) {
      this.#chain = this.#chain.then(async () => {
        try {
          await this.#logs.append(this.#buildId, batch, this.#capBytes);
          this.#onFlushed();
        } catch (error) {
          this.#failure ??= error instanceof Error ? error : new Error(String(error));
        }
      });
    }
    return this.#chain.then(() => {
      if (this.#failure) throw this.#failure;
    });
  }
}
