import { RegistryClient, type RegistryClientOptions } from './client.js';
import { sendBlob, type BlobOutcome, type PushBlob } from './push.js';
import type { ImageReference } from './reference.js';

export interface EarlyBlobPushOptions extends Omit<RegistryClientOptions, 'registry'> {
  reference: ImageReference;
  /** Holds `blobs/sha256/<hex>`; each added blob must be in place there already. */
  imageDir: string;
  /** Blobs checked and uploaded at once. Default 4. */
  concurrency?: number;
  chunkThresholdBytes?: number;
  chunkSizeBytes?: number;
  signal?: AbortSignal;
}

/** What the early uploads achieved: blobs the registry now has, and the bytes sent for them. */
export interface EarlyPushResult {
  outcomes: ReadonlyMap<string, BlobOutcome>;
  bytesUploaded: number;
}

/**
 * Uploads blobs while the image is still being built: each layer goes up (after a HEAD) as soon as
 * it is written, so the build's compression and the network overlap. Best effort: a blob that
 * fails here is left out of the result, and pushImage then checks and sends it as usual (with its
 * own retries and errors), so this never decides whether a push fails.
 */
export class EarlyBlobPush {
  readonly #client: RegistryClient;
  readonly #options: EarlyBlobPushOptions;
  readonly #stop = new AbortController();
  readonly #pending = new Map<string, Promise<BlobOutcome | undefined>>();
  readonly #ready: Promise<boolean>;
  readonly #signal: AbortSignal;
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  #bytes = 0;

  constructor(options: EarlyBlobPushOptions) {
    this.#options = options;
    // One attempt per request: a registry that is down is the real push's business.
    this.#client = new RegistryClient({
      ...options,
      registry: options.reference.registry,
      retry: { ...options.retry, maxAttempts: 1 },
      maxSockets: options.concurrency ?? 4,
    });
    this.#signal = AbortSignal.any([this.#stop.signal, ...(options.signal ? [options.signal] : [])]);
    this.#ready = this.#client.probe(this.#signal).then(
      () => true,
      () => false,
    );
  }

  add(blob: PushBlob): void {
    if (this.#pending.has(blob.digest)) return;
    const outcome = this.#run(blob).catch(() => undefined);
    this.#pending.set(blob.digest, outcome);
  }

  /** Waits for every upload started so far, then closes the connections. */
  async settle(): Promise<EarlyPushResult> {
    const outcomes = new Map<string, BlobOutcome>();
    for (const [digest, outcome] of this.#pending) {
      const settled = await outcome;
      if (settled !== undefined) outcomes.set(digest, settled);
    }
    this.#client.close();
    return { outcomes, bytesUploaded: this.#bytes };
  }

  /** Stops every upload at once (the build failed). */
  abort(): void {
    this.#stop.abort(new Error('the image build stopped'));
    this.#client.close();
  }

  async #run(blob: PushBlob): Promise<BlobOutcome | undefined> {
    if (!(await this.#ready)) return undefined;
    await this.#slot();
    try {
      return await sendBlob(
        this.#client,
        this.#options.reference.repository,
        blob,
        this.#options,
        this.#signal,
        (n) => (this.#bytes += n),
      );
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }

  async #slot(): Promise<void> {
    const limit = this.#options.concurrency ?? 4;
    while (this.#active >= limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
  }
}
