import type { BuildRunner } from './ports.js';

export interface EvaluationRequest {
  file: string;
  system?: string | undefined;
  env: Record<string, string>;
  workDir: string;
  /** Run `nix-instantiate --parse` first (once per submission is enough). */
  parse: boolean;
}

interface Pending extends EvaluationRequest {
  resolve(drvPaths: string[]): void;
  reject(error: unknown): void;
}

/**
 * Evaluates submissions with at most `maxConcurrent` batches in flight. A lone submission is
 * evaluated at once; submissions that arrive while the slots are busy wait and then go together,
 * one parse process and one nix-instantiate per batch instead of two processes each. Every request
 * still gets its own result: the runner falls back to per-file evaluation when a batch fails.
 */
export class EvaluationBatcher {
  readonly #runner: BuildRunner;
  readonly #maxConcurrent: number;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #running = 0;

  constructor(runner: BuildRunner, options: { maxConcurrent: number; maxBatch: number }) {
    this.#runner = runner;
    this.#maxConcurrent = Math.max(1, options.maxConcurrent);
    this.#maxBatch = Math.max(1, options.maxBatch);
  }

  evaluate(request: EvaluationRequest): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...request, resolve, reject });
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

  async #run(batch: Pending[]): Promise<void> {
    try {
      // Parse check and evaluation run side by side to save a round trip. A syntax error wins, so
      // the user gets the precise parse message; evaluating a file that does not parse builds nothing.
      const toParse = batch.filter((p) => p.parse);
      const [parsed, evaluated] = await Promise.all([
        this.#runner.parseCheckMany(toParse.map((p) => p.file)),
        this.#runner.instantiateMany(
          batch.map((p) => ({ file: p.file, system: p.system, env: p.env, workDir: p.workDir })),
        ),
      ]);
      const parseFailures = new Map<Pending, unknown>();
      parsed.forEach((result, i) => {
        if (result.status === 'rejected') parseFailures.set(toParse[i]!, result.reason);
      });
      evaluated.forEach((result, i) => {
        const request = batch[i]!;
        if (parseFailures.has(request)) request.reject(parseFailures.get(request));
        else if (result.status === 'fulfilled') request.resolve(result.value);
        else request.reject(result.reason);
      });
    } catch (error) {
      // Settling twice is harmless; this only reaches requests nobody answered yet.
      for (const p of batch) p.reject(error);
    }
  }
}
