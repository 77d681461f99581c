import { deliverWebhook, redactUrl } from '../webhooks/index.js';
import type { BuildDeploy, BuildImage, BuildRecord } from '../persistence/index.js';

export interface DeploySettings {
  /** HMAC-SHA256 key for `X-Kiln-Signature-256`. */
  secret: string;
  attempts: number;
  attemptTimeoutMs: number;
  /** Ceiling of the first retry's delay (tests shorten it). */
  baseDelayMs?: number | undefined;
}

/** What a deploy hook receives: which build, which image (the index for several systems). */
export function deployPayload(build: BuildRecord, image: BuildImage): Record<string, unknown> {
  const shipped = image.index ?? image;
  return {
    event: 'deploy',
    build: {
      id: build.id,
      serviceId: build.serviceId,
      groupId: build.groupId,
      system: build.system,
      outputs: build.outputs,
      commit: build.commit && { sha: build.commit.sha, branch: build.commit.branch },
    },
    image: { ref: shipped.ref, digest: shipped.digest, tags: shipped.tags },
  };
}

/** The `deploy` step: one signed POST (retried) per build, whose acceptance lets `current` move. */
export class DeployHooks {
  readonly #settings: DeploySettings;

  constructor(settings: DeploySettings) {
    this.#settings = settings;
  }

  async deliver(
    build: BuildRecord,
    image: BuildImage,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<BuildDeploy> {
    const url = build.deployHook ?? '';
    const shown = redactUrl(url);
    log(`kiln: deploy hook ${shown}`);
    const result = await deliverWebhook({
      url,
      secret: this.#settings.secret,
      event: 'deploy',
      // The build id: a receiver sees the same delivery id again only for the same build.
      deliveryId: `deploy-${build.id}`,
      payload: deployPayload(build, image),
      retry: {
        maxAttempts: this.#settings.attempts,
        ...(this.#settings.baseDelayMs !== undefined && { baseDelayMs: this.#settings.baseDelayMs }),
      },
      attemptTimeoutMs: this.#settings.attemptTimeoutMs,
      signal,
      onRetry: (attempt, reason) => log(`kiln: deploy hook attempt ${attempt}: ${reason}; retrying`),
    });
    log(`kiln: deploy hook accepted (HTTP ${result.status}, attempt ${result.attempts})`);
    return { url: shown, ...result };
  }
}
