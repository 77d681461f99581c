import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../../errors/index.js';
import { RegistryAuth, repositoryScope, type RegistryCredentials } from './auth.js';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryableConnectionError,
  isRetryableStatus,
  retryAfterMs,
  type RetryPolicy,
} from '../../retry/index.js';
import { chunkRanges, effectiveChunkSize, formatContentRange } from './chunks.js';
import {
  createHttpTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type RequestBody,
} from './http.js';
import { registryScheme } from './reference.js';
import { registryResponseError } from './registry-errors.js';

export interface RegistryClientOptions {
  /** `host[:port]`. */
  registry: string;
  /** Registries spoken to over plain HTTP besides loopback ones (`host:port` or `host`). */
  insecureRegistries?: readonly string[];
  credentials?: RegistryCredentials;
  retry?: Partial<RetryPolicy>;
  /** Parallel connections to the registry (also the blob concurrency of a push). Default 4. */
  maxSockets?: number;
  idleTimeoutMs?: number;
  /** Tests inject a transport to count or fail requests; production uses node:http(s). */
  transport?: HttpTransport;
}

/** Every manifest type kiln pushes or inspects; HEAD and GET must accept them all. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface RemoteManifest {
  digest: string;
  mediaType: string | undefined;
  size: number | undefined;
}

/** A response the retry loop should try again after (5xx, 429). */
class RetryableStatus extends Error {
  constructor(
    readonly what: string,
    readonly response: HttpResponse,
  ) {
    super(`${what}: HTTP ${response.status}`);
  }
}

interface SendOptions {
  what: string;
  scopes: readonly string[];
  signal?: AbortSignal;
  onBodyBytes?: (n: number) => void;
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One registry, spoken to with the OCI distribution API: auth, retries and the individual
 * operations of a push. The push plan itself is in push.ts.
 */
export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: URL;
  readonly retryPolicy: RetryPolicy;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly auth: RegistryAuth;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.baseUrl = new URL(
      `${registryScheme(options.registry, options.insecureRegistries)}://${options.registry}/`,
    );
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.ownsTransport = options.transport === undefined;
    this.transport =
      options.transport ??
      createHttpTransport({ maxSockets: options.maxSockets ?? 4, idleTimeoutMs: options.idleTimeoutMs });
    this.auth = new RegistryAuth(options.registry, this.transport, options.credentials);
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  /**
   * Runs `attempt` until it succeeds, retrying 5xx/429 answers and connection errors with full
   * jitter backoff (Retry-After honoured), at most `maxAttempts` times; anything else fails at once.
   */
  async retrying<T>(
    what: string,
    signal: AbortSignal | undefined,
    attempt: (n: number) => Promise<T>,
  ): Promise<T> {
    const policy = this.retryPolicy;
    for (let n = 1; ; n++) {
      signal?.throwIfAborted();
      try {
        return await attempt(n);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const status = error instanceof RetryableStatus ? error.response : undefined;
        if (status === undefined && !isRetryableConnectionError(error)) throw error;
        if (n >= policy.maxAttempts) {
          const last =
            status !== undefined
              ? `HTTP ${status.status}`
              : `${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`;
          throw new KilnError(
            'KILN_ERR_UNAVAILABLE',
            `registry ${this.registry}: ${what} failed after ${n} attempts (last: ${last})`,
            { registry: this.registry, attempts: n, ...(status ? { status: status.status } : {}) },
            { cause: error },
          );
        }
        const hinted = status ? retryAfterMs(header(status, 'retry-after'), policy) : undefined;
        await sleep(hinted ?? backoffDelayMs(n, policy), undefined, { signal });
      }
    }
  }

  /** One exchange with auth: a 401 teaches the challenge and is retried once with fresh credentials. */
  private async exchange(req: HttpRequest, options: SendOptions): Promise<HttpResponse> {
    // The spec: never forward Authorization to another host (an upload Location may point elsewhere).
    const sameHost = req.url.host === this.baseUrl.host;
    const withAuth = async (scopes: readonly string[]): Promise<HttpRequest> => {
      const authorization = sameHost ? await this.auth.header(scopes, options.signal) : undefined;
      return {
        ...req,
        headers: { ...req.headers, ...(authorization ? { Authorization: authorization } : {}) },
      };
    };
    let res = await this.transport.request(await withAuth(options.scopes));
    if (res.status === 401 && sameHost) {
      const scopes = this.auth.unauthorized(res, options.scopes);
      res = await this.transport.request(await withAuth(scopes));
      if (res.status === 401) throw this.auth.rejected(res);
    }
    if (isRetryableStatus(res.status)) throw new RetryableStatus(options.what, res);
    return res;
  }

  /** One request, retried on its own. */
  private send(
    req: Omit<HttpRequest, 'signal' | 'onBodyBytes'>,
    options: SendOptions,
  ): Promise<HttpResponse> {
    return this.retrying(options.what, options.signal, () =>
      this.exchange({ ...req, signal: options.signal, onBodyBytes: options.onBodyBytes }, options),
    );
  }

  private url(path: string): URL {
    return new URL(path, this.baseUrl);
  }

  /** `GET /v2/`: learns whether and how to authenticate before any body is sent. */
  async probe(signal?: AbortSignal): Promise<void> {
    if (this.auth.known) return;
    const res = await this.retrying('API probe (GET /v2/)', signal, async () => {
      const r = await this.transport.request({ method: 'GET', url: this.url('/v2/'), headers: {}, signal });
      if (isRetryableStatus(r.status)) throw new RetryableStatus('API probe', r);
      return r;
    });
    if (res.status === 404) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `${this.baseUrl.origin} does not speak the registry API (GET /v2/ is 404)`,
        {
          registry: this.registry,
        },
      );
    }
    this.auth.learnFromProbe(res);
  }

  /** HEAD a manifest by tag or digest; undefined when the registry does not have it. */
  async headManifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<RemoteManifest | undefined> {
    const what = `HEAD manifest ${repository}:${reference}`;
    const url = this.url(`/v2/${repository}/manifests/${reference}`);
    const options = { what, scopes: [repositoryScope(repository, 'pull,push')], signal };
    const res = await this.send({ method: 'HEAD', url, headers: { Accept: MANIFEST_ACCEPT } }, options);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw registryResponseError(this.registry, what, res);
    let digest = header(res, 'docker-content-digest');
    const length = header(res, 'content-length');
    // Older registries omit the digest on HEAD: fetch the bytes and hash them.
    if (digest === undefined) {
      const got = await this.send({ method: 'GET', url, headers: { Accept: MANIFEST_ACCEPT } }, options);
      if (got.status !== 200) throw registryResponseError(this.registry, what, got);
      digest = `sha256:${createHash('sha256').update(got.body).digest('hex')}`;
    }
    return {
      digest,
      mediaType: header(res, 'content-type'),
      size: length !== undefined ? Number(length) : undefined,
    };
  }

  async hasBlob(repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const what = `HEAD blob ${digest}`;
    const res = await this.send(
      { method: 'HEAD', url: this.url(`/v2/${repository}/blobs/${digest}`), headers: {} },
      { what, scopes: [repositoryScope(repository, 'pull,push')], signal },
    );
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw registryResponseError(this.registry, what, res);
  }

  /**
   * `POST …/uploads/?mount=&from=`: true when the registry mounted the blob (201). Otherwise it has
   * opened an ordinary upload session, which is cancelled; the caller uploads.
   */
  async mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<boolean> {
    const what = `mount ${digest} from ${from}`;
    const url = this.url(`/v2/${repository}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', from);
    const scopes = [repositoryScope(repository, 'pull,push'), repositoryScope(from, 'pull')];
    const res = await this.send({ method: 'POST', url, headers: {} }, { what, scopes, signal });
    if (res.status === 201) return true;
    if (res.status === 202) {
      await this.cancelUpload(res, repository, signal);
      return false;
    }
    throw registryResponseError(this.registry, what, res);
  }

  /**
   * Uploads one blob from a file as one unit: a new upload session, then one PUT (monolithic) or
   * PATCHes and a closing PUT (chunked). Any retryable failure restarts the whole session, after
   * checking that the blob did not arrive after all.
   */
  async uploadBlob(
    repository: string,
    blob: { digest: string; size: number; path: string },
    options: { chunkSize?: number; signal?: AbortSignal; onBodyBytes?: (n: number) => void },
  ): Promise<void> {
    const what = `upload blob ${blob.digest}`;
    const scopes = [repositoryScope(repository, 'pull,push')];
    const base = { what, scopes, signal: options.signal };
    await this.retrying(what, options.signal, async (attempt) => {
      // A lost answer to the closing PUT: the blob may be there already.
      if (attempt > 1) {
        const head = await this.exchange(
          {
            method: 'HEAD',
            url: this.url(`/v2/${repository}/blobs/${blob.digest}`),
            headers: {},
            signal: options.signal,
          },
          base,
        );
        if (head.status === 200) return;
      }
      const started = await this.exchange(
        {
          method: 'POST',
          url: this.url(`/v2/${repository}/blobs/uploads/`),
          headers: {},
          signal: options.signal,
        },
        base,
      );
      if (started.status !== 202)
        throw registryResponseError(this.registry, `${what}: start session`, started);
      let location = this.location(started, `${what}: start session`);
      const send = { ...base, onBodyBytes: options.onBodyBytes };
      if (options.chunkSize !== undefined) {
        const chunkSize = effectiveChunkSize(options.chunkSize, header(started, 'oci-chunk-min-length'));
        for (const range of chunkRanges(blob.size, chunkSize)) {
          const body: RequestBody = {
            kind: 'file',
            path: blob.path,
            start: range.start,
            length: range.length,
          };
          const res = await this.exchange(
            {
              method: 'PATCH',
              url: location,
              headers: {
                'Content-Type': 'application/octet-stream',
                'Content-Range': formatContentRange(range),
              },
              body,
              signal: options.signal,
              onBodyBytes: options.onBodyBytes,
            },
            send,
          );
          if (res.status !== 202)
            throw registryResponseError(this.registry, `${what}: chunk ${formatContentRange(range)}`, res);
          location = this.location(res, `${what}: chunk`);
        }
      }
      location.searchParams.set('digest', blob.digest);
      const body: RequestBody =
        options.chunkSize !== undefined
          ? { kind: 'buffer', data: Buffer.alloc(0) }
          : { kind: 'file', path: blob.path, start: 0, length: blob.size };
      const done = await this.exchange(
        {
          method: 'PUT',
          url: location,
          headers: { 'Content-Type': 'application/octet-stream' },
          body,
          signal: options.signal,
          onBodyBytes: options.onBodyBytes,
        },
        send,
      );
      if (done.status !== 201) throw registryResponseError(this.registry, `${what}: close session`, done);
    });
  }

  /** PUT manifest bytes under a tag or digest; returns the digest the registry computed. */
  async putManifest(
    repository: string,
    reference: string,
    manifest: { bytes: Buffer; mediaType: string; digest: string },
    signal?: AbortSignal,
  ): Promise<string> {
    const what = `PUT manifest ${repository}:${reference}`;
    const res = await this.send(
      {
        method: 'PUT',
        url: this.url(`/v2/${repository}/manifests/${reference}`),
        headers: { 'Content-Type': manifest.mediaType },
        body: { kind: 'buffer', data: manifest.bytes },
      },
      { what, scopes: [repositoryScope(repository, 'pull,push')], signal },
    );
    if (res.status !== 201 && res.status !== 200) throw registryResponseError(this.registry, what, res);
    const digest = header(res, 'docker-content-digest') ?? manifest.digest;
    if (digest !== manifest.digest) {
      throw new KilnError(
        'KILN_ERR_INTERNAL',
        `registry ${this.registry}: ${what} stored digest ${digest}, expected ${manifest.digest}`,
        { registry: this.registry },
      );
    }
    return digest;
  }

  private location(res: HttpResponse, what: string): URL {
    const value = header(res, 'location');
    if (value === undefined) {
      throw new KilnError(
        'KILN_ERR_INTERNAL',
        `registry ${this.registry}: ${what} answered without a Location`,
        {
          registry: this.registry,
        },
      );
    }
    // Used verbatim, relative to the registry (it may be absolute and point at another host).
    return new URL(value, this.baseUrl);
  }

  private async cancelUpload(res: HttpResponse, repository: string, signal?: AbortSignal): Promise<void> {
    try {
      const url = this.location(res, 'mount');
      await this.exchange(
        { method: 'DELETE', url, headers: {}, signal },
        { what: 'cancel upload', scopes: [repositoryScope(repository, 'pull,push')], signal },
      );
    } catch {
      // An abandoned session is the registry's to expire; the push does not depend on it.
    }
  }
}
