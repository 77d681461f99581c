import type {
  BuildView,
  CleanupBody,
  CleanupResponse,
  ImageOfBuildBody,
  ListBuildsResponse,
  LogResponse,
  StatsResponse,
  SubmitBuildBody,
  SubmitBuildResponse,
} from '../api/index.js';
import { KilnError } from '../errors/index.js';
import { ApiError } from './errors.js';
import { httpFetch, type HttpResponse } from './http.js';

export interface KilnClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:7070 (a path prefix is kept). */
  server: string;
  token?: string | undefined;
  /** Upper bound for one non-streaming request. */
  requestTimeoutMs?: number | undefined;
}

export interface ListBuildsParams {
  statuses?: readonly string[] | undefined;
  serviceId?: string | undefined;
  limit?: number | undefined;
  before?: number | undefined;
}

export interface StatsParams {
  serviceId?: string | undefined;
  label?: string | undefined;
}

export interface LogStreamParams {
  after?: number | undefined;
  lastEventId?: string | undefined;
  signal?: AbortSignal | undefined;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Typed access to the kiln HTTP API (v1). Failures are ApiError (the server said no) or KilnError. */
export class KilnClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly requestTimeoutMs: number;

  constructor(options: KilnClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.token = options.token;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  submitBuild(body: SubmitBuildBody): Promise<SubmitBuildResponse> {
    return this.json<SubmitBuildResponse>('POST', '/api/v1/builds', body);
  }

  getBuild(id: string): Promise<BuildView> {
    return this.json<BuildView>('GET', `/api/v1/builds/${encodeURIComponent(id)}`);
  }

  listBuilds(params: ListBuildsParams = {}): Promise<ListBuildsResponse> {
    const query = new URLSearchParams();
    if (params.statuses && params.statuses.length > 0) query.set('status', params.statuses.join(','));
    if (params.serviceId !== undefined) query.set('serviceId', params.serviceId);
    if (params.limit !== undefined) query.set('limit', String(params.limit));
    if (params.before !== undefined) query.set('before', String(params.before));
    return this.json<ListBuildsResponse>('GET', withQuery('/api/v1/builds', query));
  }

  getLog(id: string, params: { after?: number; limit?: number } = {}): Promise<LogResponse> {
    const query = new URLSearchParams();
    if (params.after !== undefined) query.set('after', String(params.after));
    if (params.limit !== undefined) query.set('limit', String(params.limit));
    return this.json<LogResponse>('GET', withQuery(`/api/v1/builds/${encodeURIComponent(id)}/log`, query));
  }

  /** Builds and pushes an image of a succeeded build; answers when it is in the registry. */
  imageOfBuild(id: string, body: ImageOfBuildBody): Promise<BuildView> {
    return this.json<BuildView>('POST', `/api/v1/builds/${encodeURIComponent(id)}/image`, body);
  }

  cancelBuild(id: string): Promise<BuildView> {
    return this.json<BuildView>('POST', `/api/v1/builds/${encodeURIComponent(id)}/cancel`);
  }

  stats(params: StatsParams = {}): Promise<StatsResponse> {
    const query = new URLSearchParams();
    if (params.serviceId !== undefined) query.set('serviceId', params.serviceId);
    if (params.label !== undefined) query.set('label', params.label);
    return this.json<StatsResponse>('GET', withQuery('/api/v1/stats', query));
  }

  cleanup(body: CleanupBody): Promise<CleanupResponse> {
    return this.json<CleanupResponse>('POST', '/api/v1/cleanup', body);
  }

  /**
   * Opens the live log stream (Server-Sent Events) and returns its body. A response that is not an
   * event stream is reported as KILN_ERR_UNAVAILABLE so callers can fall back to polling.
   */
  async openLogStream(id: string, params: LogStreamParams = {}): Promise<AsyncIterable<Uint8Array>> {
    const query = new URLSearchParams({ follow: '1' });
    if (params.after !== undefined) query.set('after', String(params.after));
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (params.lastEventId !== undefined && params.lastEventId !== '')
      headers['last-event-id'] = params.lastEventId;
    const response = await this.send(
      'GET',
      withQuery(`/api/v1/builds/${encodeURIComponent(id)}/log`, query),
      undefined,
      headers,
      params.signal,
    );
    if (!response.ok) throw await errorFrom(response);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || response.body === null) {
      await response.body?.cancel();
      throw new KilnError(
        'KILN_ERR_UNAVAILABLE',
        `the server did not answer with an event stream (${type || 'no type'})`,
      );
    }
    return response.body;
  }

  /** Any JSON endpoint of the API (cache, token and push commands); `path` starts with /api/. */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.json<T>(method, path, body);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body, {}, AbortSignal.timeout(this.requestTimeoutMs));
    if (!response.ok) throw await errorFrom(response);
    const text = await readText(response, this.server);
    // 204 No Content (pins, revocations) has no body to parse.
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KilnError('KILN_ERR_INTERNAL', `the server sent invalid JSON for ${method} ${path}`);
    }
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-kiln-client': 'cli',
      ...extraHeaders,
    };
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await httpFetch(this.server + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: signal ?? null,
      });
    } catch (err) {
      throw networkError(err, this.server);
    }
  }
}

function withQuery(path: string, query: URLSearchParams): string {
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function readText(response: HttpResponse, server: string): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    throw networkError(err, server);
  }
}

/** Turns an opaque "request failed" into a message naming the server and the actual cause. */
export function networkError(err: unknown, server: string): KilnError {
  if (err instanceof KilnError) return err;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new KilnError('KILN_ERR_UNAVAILABLE', `request to ${server} timed out or was aborted`, undefined, {
      cause: err,
    });
  }
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const reason =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : err instanceof Error
          ? err.message
          : String(err);
  return new KilnError(
    'KILN_ERR_UNAVAILABLE',
    `cannot reach the kiln server at ${server}: ${reason}`,
    undefined,
    {
      cause: err,
    },
  );
}

const STATUS_CODES: Record<number, string> = {
  400: 'KILN_ERR_VALIDATION',
  401: 'KILN_ERR_UNAUTHORIZED',
  403: 'KILN_ERR_FORBIDDEN',
  404: 'KILN_ERR_NOT_FOUND',
  409: 'KILN_ERR_CONFLICT',
  503: 'KILN_ERR_UNAVAILABLE',
};

/** Reads `{error:{code,message,details}}`; a body in any other shape still yields a coded error. */
export async function errorFrom(response: HttpResponse): Promise<ApiError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone is enough to report.
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'error' in parsed) {
      const error = parsed.error;
      if (error !== null && typeof error === 'object') {
        const { code, message, details } = error as Record<string, unknown>;
        if (typeof code === 'string' && typeof message === 'string') {
          const extra =
            details !== null && typeof details === 'object'
              ? (details as Record<string, unknown>)
              : undefined;
          return new ApiError(response.status, code, message, extra);
        }
      }
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): fall through to the status.
  }
  const fallback =
    STATUS_CODES[response.status] ?? (response.status >= 500 ? 'KILN_ERR_INTERNAL' : 'KILN_ERR_VALIDATION');
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError(response.status, fallback, `the server answered HTTP ${response.status}${statusText}`);
}
