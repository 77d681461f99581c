/** kiln's HTTP API as the benchmark uses it: submit a Git build, wait for its end, read its record. */
import type { StepView } from './stats.js';

export interface BuildView {
  id: string;
  status: string;
  cached: boolean;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  outputs: string[];
  steps?: StepView[];
}

export interface GitSourceBody {
  kind: 'git';
  url: string;
  ref: string;
  attr: string;
}

const TIMEOUT_MS = 300_000;

export class KilnApi {
  readonly #url: string;
  readonly #headers: Record<string, string>;

  constructor(url: string, token: string) {
    this.#url = url;
    this.#headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  }

  /** POST /api/v1/builds; the first build of the answer. */
  async submit(source: GitSourceBody): Promise<BuildView> {
    const res = await fetch(`${this.#url}/api/v1/builds`, {
      method: 'POST',
      headers: this.#headers,
      body: JSON.stringify({ source }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST /api/v1/builds: ${res.status} ${text.slice(0, 300)}`);
    const build = (JSON.parse(text) as { builds: BuildView[] }).builds[0];
    if (!build) throw new Error(`POST /api/v1/builds answered no build: ${text.slice(0, 300)}`);
    return build;
  }

  /** Follows the build's log until the server closes it at the build's end (as `make bench` does). */
  async waitForEnd(id: string): Promise<void> {
    const res = await fetch(`${this.#url}/api/v1/builds/${id}/log?follow=1`, {
      headers: this.#headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`GET /api/v1/builds/${id}/log: ${res.status}`);
    await res.text();
  }

  async get(id: string): Promise<BuildView> {
    const res = await fetch(`${this.#url}/api/v1/builds/${id}`, {
      headers: this.#headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`GET /api/v1/builds/${id}: ${res.status}`);
    return (await res.json()) as BuildView;
  }

  /**
   * Submits, waits for the end, and checks the build succeeded; returns its record and the
   * milliseconds from the POST to the end of the log stream (reading the record is not counted)
   * and until the POST was answered.
   */
  async buildToEnd(source: GitSourceBody): Promise<{ build: BuildView; ms: number; submitMs: number }> {
    const start = process.hrtime.bigint();
    const queued = await this.submit(source);
    const submitMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (queued.finishedAt === null) await this.waitForEnd(queued.id);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const build = await this.get(queued.id);
    if (build.status !== 'succeeded') {
      throw new Error(`build ${build.id} ended ${build.status}: ${build.error ?? 'no error recorded'}`);
    }
    return { build, ms, submitMs };
  }
}
