import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { RegistryTokenAuth } from './registry.js';
import { tempDir } from './tmp.js';

/** One access entry of a distribution token: `repository:team/app:pull,push` as a claim. */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

/** What the token server saw on one `GET /token`. */
export interface TokenRequest {
  service: string | null;
  scopes: string[];
  /** The Basic username sent, if any. */
  username: string | undefined;
  /** Whether the Basic credentials matched; a 401 was answered if not. */
  authorized: boolean;
  granted: TokenAccess[];
}

/**
 * A docker-distribution token server (the "realm") on a loopback port: checks Basic credentials
 * and answers a JWT signed by a self-signed cert the registry trusts (its `rootcertbundle`).
 */
export interface TokenServer {
  /** Settings for `startRegistry(t, { tokenAuth })`. */
  registryAuth: RegistryTokenAuth;
  requests: TokenRequest[];
}

export interface TokenServerOptions {
  username: string;
  password: string;
  /** Which of the requested actions to grant; all of them by default. */
  grant?: (access: TokenAccess) => string[];
}

const SERVICE = 'kiln-test-registry';
const ISSUER = 'kiln-test-issuer';

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An ES256 key and a self-signed cert for it, made by the openssl CLI. */
function signingCert(dir: string): { key: KeyObject; certPath: string; der: Buffer } {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=kiln-test-token-signer',
    ],
    { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const key = createPrivateKey(readFileSync(keyPath));
  const der = new X509Certificate(readFileSync(certPath)).raw;
  return { key, certPath, der };
}

/** `repository:team/app:pull,push` → the access claim asking for it (malformed scopes are dropped). */
function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function jwt(key: KeyObject, x5c: Buffer, subject: string, access: TokenAccess[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c.toString('base64')] };
  const claims = {
    iss: ISSUER,
    sub: subject,
    aud: SERVICE,
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // JWS ES256 wants r||s, not DER.
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${base64url(signature)}`;
}

function basicUser(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function startTokenServer(t: TestContext, options: TokenServerOptions): Promise<TokenServer> {
  const { key, certPath, der } = signingCert(tempDir(t, 'kiln-token-'));
  const requests: TokenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    if (req.method !== 'GET' || url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    const creds = basicUser(req.headers.authorization);
    const authorized = creds?.username === options.username && creds.password === options.password;
    const granted = authorized
      ? scopes
          .flatMap((s) => s.split(' '))
          .map(parseScope)
          .filter((a): a is TokenAccess => a !== undefined)
          .map((a) => ({ ...a, actions: options.grant ? options.grant(a) : a.actions }))
      : [];
    requests.push({
      service: url.searchParams.get('service'),
      scopes,
      username: creds?.username,
      authorized,
      granted,
    });
    if (!authorized) {
      res.writeHead(401, {
        'Content-Type': 'application/json',
        'WWW-Authenticate': 'Basic realm="kiln-test-token"',
      });
      res.end(
        JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }),
      );
      return;
    }
    const token = jwt(key, der, creds.username, granted);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return {
    registryAuth: {
      realm: `http://127.0.0.1:${port}/token`,
      service: SERVICE,
      issuer: ISSUER,
      rootCertBundle: certPath,
    },
    requests,
  };
}
