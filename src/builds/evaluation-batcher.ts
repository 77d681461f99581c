import { Batcher } from '../queue/index.js';
import type { BuildRunner } from './ports.js';

export interface EvaluationRequest {
  file: string;
  system?: string | undefined;
  env: Record<string, string>;
  workDir: string;
  /** Run `nix-instantiate --parse` too (once per submission is enough). */
  parse: boolean;
}

/**
 * Evaluates submissions in batches: one parse process and one nix-instantiate per batch instead of
 * two processes per submission. Every request still gets its own verdict: the runner falls back to
 * per-file evaluation when a batch fails.
 */
export class EvaluationBatcher {
  readonly #runner: BuildRunner;
  readonly #batcher: Batcher<EvaluationRequest, string[]>;

  constructor(runner: BuildRunner, options: { maxConcurrent: number; maxBatch: number }) {
    this.#runner = runner;
    this.#batcher = new Batcher((batch) => this.#evaluate(batch), options);
  }

  evaluate(request: EvaluationRequest): Promise<string[]> {
    return this.#batcher.submit(request);
  }

  async #evaluate(batch: EvaluationRequest[]): Promise<PromiseSettledResult<string[]>[]> {
    // Parse check and evaluation run side by side to save a round trip. A syntax error wins, so
    // the user gets the precise parse message; evaluating a file that does not parse builds nothing.
    const toParse = batch.filter((request) => request.parse);
    const [parsed, evaluated] = await Promise.all([
      this.#runner.parseCheckMany(toParse.map((request) => request.file)),
      this.#runner.instantiateMany(
        batch.map(({ file, system, env, workDir }) => ({ file, system, env, workDir })),
      ),
    ]);
    const parseFailures = new Map<EvaluationRequest, PromiseRejectedResult>();
    parsed.forEach((result, i) => {
      if (result.status === 'rejected') parseFailures.set(toParse[i]!, result);
    });
    return evaluated.map((result, i) => parseFailures.get(batch[i]!) ?? result);
  }
}
