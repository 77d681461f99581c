/**
 * Coalesces requests into batches with at most `maxConcurrent` batches in flight. A lone request
 * runs at once (no added latency); requests arriving while every slot is busy wait and then go
 * together. `runBatch` answers each request separately, so one failure never leaks into another.
 */
interface Waiting<Request, Result> {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class Batcher<Request, Result> {
  readonly #runBatch: (requests: Request[]) => Promise<PromiseSettledResult<Result>[]>;
  readonly #maxConcurrent: number;
  readonly #maxBatch: number;
  readonly #queue: Waiting<Request, Result>[] = [];
  #running = 0;

  constructor(
    runBatch: (requests: Request[]) => Promise<PromiseSettledResult<Result>[]>,
    options: { maxConcurrent: number; maxBatch: number },
  ) {
    this.#runBatch = runBatch;
    this.#maxConcurrent = Math.max(1, options.maxConcurrent);
    this.#maxBatch = Math.max(1, options.maxBatch);
  }

  submit(request: Request): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#maxConcurrent && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#running++;
      void this.#run(batch).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(batch: Waiting<Request, Result>[]): Promise<void> {
    try {
      const results = await this.#runBatch(batch.map((entry) => entry.request));
      batch.forEach((entry, i) => {
        const result = results[i];
        if (!result) entry.reject(new Error('batch returned no result for this request'));
        else if (result.status === 'fulfilled') entry.resolve(result.value);
        else entry.reject(result.reason);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
