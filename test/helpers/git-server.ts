import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startSshd } from './sshd.js';

export interface GitHttpServerOptions {
  /** Directory holding the served repositories (GIT_PROJECT_ROOT). */
  projectRoot: string;
  /** The HTTP Basic password (the token) every request must carry; any user name is accepted. */
  password: string;
}

export interface GitHttpRequest {
  method: string;
  path: string;
  status: number;
  /** The Basic user name sent, if any (never the password). */
  user: string | null;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`; repositories are at `${url}/NAME.git`. */
  url: string;
  requests: GitHttpRequest[];
  close(): Promise<void>;
}

/** The smart-HTTP endpoints and dumb paths http-backend serves, after the repository path. */
const SERVICE_SUFFIX = /^(.*?)(\/info\/refs|\/git-upload-pack|\/git-receive-pack|\/HEAD|\/objects\/.*)$/;

/**
 * A real smart-HTTP git server for tests: node:http on 127.0.0.1:0 in front of `git http-backend`
 * run as CGI, requiring HTTP Basic with the given password (401 otherwise) and answering 404 for
 * repositories that do not exist.
 */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: GitHttpRequest[] = [];
  const server = createServer((req, res) => {
    handle(options, req, res, requests).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  options: GitHttpServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  requests: GitHttpRequest[],
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const credentials = basicCredentials(req.headers.authorization);
  const record = (status: number): void => {
    requests.push({ method: req.method ?? '', path: url.pathname, status, user: credentials?.user ?? null });
  };
  if (credentials === null || credentials.password !== options.password) {
    record(401);
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
    res.end('authentication required\n');
    return;
  }
  const match = SERVICE_SUFFIX.exec(url.pathname);
  const repoPath = match?.[1] ?? '';
  if (!match || repoPath.includes('..') || !existsSync(join(options.projectRoot, repoPath))) {
    record(404);
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('repository not found\n');
    return;
  }
  await runBackend(options, req, res, url, credentials.user, record);
}

function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Runs `git http-backend` as CGI: request metadata in env, body on stdin, headers then body on stdout. */
function runBackend(
  options: GitHttpServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  user: string,
  record: (status: number) => void,
): Promise<void> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    PATH_INFO: url.pathname,
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined) env['HTTP_CONTENT_ENCODING'] = encoding;
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env['GIT_PROTOCOL'] = protocol;
  const length = req.headers['content-length'];
  if (length !== undefined) env['CONTENT_LENGTH'] = length;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.stderr.resume();
  return new Promise<void>((resolve, reject) => {
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (end === null) return;
      headersDone = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.index).toString('latin1'));
      record(status);
      res.writeHead(status, headers);
      res.write(head.subarray(end.index + end.length));
    });
    child.once('error', reject);
    child.once('close', () => {
      if (!headersDone) {
        record(500);
        res.writeHead(500);
      }
      res.end();
      resolve();
    });
  });
}

function headerEnd(buffer: Buffer): { index: number; length: number } | null {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return null;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}

export interface GitSshServer {
  port: number;
  /** A known_hosts file listing this server's host key. */
  knownHostsFile: string;
  /** The private key authorized to log in (OpenSSH format). */
  clientKey: string;
  /** `ssh://root@127.0.0.1:PORT` + absolute repository path. */
  urlFor(repoPath: string): string;
  close(): Promise<void>;
}

export { SSHD_BIN, sshdUnavailableReason } from './sshd.js';

/**
 * A real OpenSSH server on 127.0.0.1 for tests: a fresh host key, one authorized client key for
 * root, no passwords; git runs `git-upload-pack` through it as it would on any git host.
 */
export async function startGitSshServer(dir: string): Promise<GitSshServer> {
  const sshd = await startSshd(dir);
  return {
    port: sshd.port,
    knownHostsFile: sshd.knownHostsFile,
    clientKey: readFileSync(sshd.clientKeyFile, 'utf8'),
    urlFor: (repoPath) => `ssh://root@127.0.0.1:${sshd.port}${repoPath}`,
    close: () => sshd.close(),
  };
}
