import { SseParser } from './sse.js';

const TOKEN_KEY = 'kiln.token';

/** The admin token kept in localStorage (null when signed out). */
export const tokenStore = {
  get(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set(token: string): void {
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    localStorage.removeItem(TOKEN_KEY);
  },
};

/** An API failure: the HTTP status and kiln's KILN_ERR_* code when the body carried one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The kiln HTTP API as the UI uses it: JSON in and out, `Authorization: Bearer` on every call,
 * SSE read with fetch() (EventSource cannot send headers). Non-2xx answers throw an Error carrying
 * the API's message; a 401 also signs the user out and sends them to /sign-in.
 */
export class ApiClient {
  constructor(
    private readonly token: () => string | null = () => tokenStore.get(),
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.#json<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#json<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.#json<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.#json<T>('DELETE', path);
  }

  /**
   * Reads a Server-Sent Events stream until the server ends it or `signal` aborts (which
   * resolves quietly). `onEvent` gets each event's name and data.
   */
  async stream(
    path: string,
    onEvent: (event: string, data: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    let response: Response;
    try {
      response = await fetch(path, { headers: this.#headers({ accept: 'text/event-stream' }), signal });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (!response.ok) throw await this.#failure(response);
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const event of parser.push(value)) onEvent(event.event, event.data);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      reader.releaseLock();
    }
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = this.#headers({ accept: 'application/json' });
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (!response.ok) throw await this.#failure(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    const token = this.token();
    // The server records builds started here with the trigger kind `ui`.
    const headers = { ...extra, 'x-kiln-client': 'ui' };
    return token ? { ...headers, authorization: `Bearer ${token}` } : headers;
  }

  async #failure(response: Response): Promise<ApiError> {
    let message = `${response.status} ${response.statusText}`;
    let code: string | null = null;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      if (body.error?.message) message = body.error.message;
      code = body.error?.code ?? null;
    } catch {
      // Not JSON: keep the status line.
    }
    if (response.status === 401) this.onUnauthorized();
    return new ApiError(message, response.status, code);
  }
}
