import { KilnError } from '../../errors/index.js';
import type { HttpResponse, HttpTransport } from './http.js';
import { registryErrorSummary } from './registry-errors.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

type Challenge =
  { scheme: 'none' } | { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string };

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens are renewed this long before they expire, so none runs out between check and use. */
const EXPIRY_MARGIN_MS = 10_000;
/** The token spec's default and minimum lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;

/** `repository:<name>:<actions>`, the scope of the token flow. */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}

/**
 * What the registry asked for (learned from its 401s) and the credentials to answer with: Basic
 * on every request, or Bearer tokens fetched from the realm (with Basic credentials if we have
 * them) and cached per scope until shortly before they expire.
 */
export class RegistryAuth {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly registry: string,
    private readonly transport: HttpTransport,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get known(): boolean {
    return this.challenge !== undefined;
  }

  /** The `GET /v2/` probe's answer: 200 means no auth, 401 carries the challenge. */
  learnFromProbe(res: HttpResponse): void {
    if (res.status === 401) this.learn(res);
    else if (res.status >= 200 && res.status < 300) this.challenge = { scheme: 'none' };
  }

  /** The Authorization header for a request needing `scopes`, fetching a token if needed. */
  async header(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined || challenge.scheme === 'none') return undefined;
    if (challenge.scheme === 'basic') return this.basic();
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(challenge, scopes, signal);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /**
   * A 401 on a request: learn the (possibly new) challenge, drop the token that did not do, and
   * add the scope the registry names. Returns the scopes to retry with.
   */
  unauthorized(res: HttpResponse, scopes: readonly string[]): string[] {
    const scope = this.learn(res);
    this.tokens.delete([...scopes].sort().join(' '));
    return scope && !scopes.includes(scope) ? [...scopes, ...scope.split(' ')] : [...scopes];
  }

  /** The error for a 401 that survived fresh credentials (or the token server's own 401/403). */
  rejected(res: HttpResponse, tokenServer?: string): KilnError {
    const summary = registryErrorSummary(res.body);
    const why = summary ? ` (${summary})` : '';
    // The credentials were good but the token lacks the access asked for: say so, not "rejected"
    // (the body's "authentication required" would mislead too).
    const denied = parseWwwAuthenticate(res.headers['www-authenticate']).find(
      (c) => c.scheme === 'bearer' && c.params.error === 'insufficient_scope',
    );
    if (denied && this.credentials) {
      const scope = denied.params.scope ? ` '${denied.params.scope}'` : '';
      return new KilnError(
        'KILN_ERR_FORBIDDEN',
        `registry ${this.registry}: the token for user '${this.credentials.username}' does not grant${scope} (insufficient_scope)`,
        { registry: this.registry, status: res.status },
      );
    }
    const who = tokenServer
      ? `registry ${this.registry}'s token server ${tokenServer}`
      : `registry ${this.registry}`;
    const message = this.credentials
      ? `${who} rejected the credentials of user '${this.credentials.username}'${why}`
      : `registry ${this.registry} requires authentication${why}; set DOCKER_REGISTRY_USERNAME and DOCKER_REGISTRY_PASSWORD`;
    return new KilnError('KILN_ERR_UNAUTHORIZED', message, { registry: this.registry, status: res.status });
  }

  private learn(res: HttpResponse): string | undefined {
    const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      this.challenge = { scheme: 'bearer', realm: bearer.params.realm!, service: bearer.params.service };
      return bearer.params.scope;
    }
    if (challenges.some((c) => c.scheme === 'basic')) this.challenge = { scheme: 'basic' };
    else throw this.rejected(res);
    return undefined;
  }

  private basic(): string | undefined {
    if (!this.credentials) return undefined;
    const { username, password } = this.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private async fetchToken(
    challenge: { realm: string; service?: string },
    scopes: readonly string[],
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(challenge.realm);
    } catch {
      throw new KilnError(
        'KILN_ERR_UNAUTHORIZED',
        `registry ${this.registry}: token realm '${challenge.realm}' is not a URL`,
      );
    }
    if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const basic = this.basic();
    const res = await this.transport.request({
      method: 'GET',
      url,
      headers: { Accept: 'application/json', ...(basic ? { Authorization: basic } : {}) },
      signal,
    });
    if (res.status === 401 || res.status === 403) throw this.rejected(res, url.host);
    if (res.status !== 200) {
      throw new KilnError(
        res.status >= 500 || res.status === 429 ? 'KILN_ERR_UNAVAILABLE' : 'KILN_ERR_UNAUTHORIZED',
        `registry ${this.registry}: token server ${url.host} answered HTTP ${res.status}`,
        { registry: this.registry, status: res.status },
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new KilnError('KILN_ERR_UNAUTHORIZED', `registry ${this.registry}: token server sent no JSON`);
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new KilnError('KILN_ERR_UNAUTHORIZED', `registry ${this.registry}: token server sent no token`);
    }
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in >= DEFAULT_TOKEN_SECONDS
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: this.now() + seconds * 1000 };
  }
}
