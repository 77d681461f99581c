import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../errors/index.js';
import { buildSshCommand } from './ssh-command.js';
import type { ValidGitUrl } from './validate-url.js';

/** Secrets: they travel only in a child's environment or a 0600 file, never in argv, logs or errors. */
export interface GitCredentials {
  token?: string;
  sshPrivateKey?: string;
}

export interface SessionOptions {
  sshBin: string;
  knownHostsFile?: string;
  /** Whether git may use file:// (only when the repository itself is local). */
  allowFile: boolean;
}

/** The user name sent with a token; GitHub, Gitea and git http-backend accept any with a token. */
export const TOKEN_USERNAME = 'x-access-token';

/**
 * Answers git's two prompts for the expected origin only, so a redirect or a submodule on another
 * host never receives the token. The values come from the environment; the script holds no secret.
 */
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  "Username for '$KILN_GIT_ORIGIN': ") printf '%s\\n' "$KILN_GIT_USERNAME" ;;
  "Password for '$KILN_GIT_AUTH_ORIGIN': ") printf '%s\\n' "$KILN_GIT_TOKEN" ;;
  *) exit 1 ;;
esac
`;

/** One git operation's private state: a 0700 temp dir used as HOME, holding askpass and key files. */
export interface GitSession {
  env: Record<string, string>;
  /** `-c` options that pin the protocols git may use. */
  configArgs: string[];
  /** Replaces the token in text that may reach a user. */
  redact(text: string): string;
  dispose(): Promise<void>;
}

export async function openSession(
  url: ValidGitUrl,
  credentials: GitCredentials,
  options: SessionOptions,
): Promise<GitSession> {
  const token = credentials.token !== undefined && credentials.token !== '' ? credentials.token : undefined;
  if (token !== undefined) checkTokenTransport(url);
  const dir = await makePrivateDir();
  try {
    const env = baseEnv(dir);
    if (token !== undefined && (url.kind === 'https' || url.kind === 'http')) {
      const askpass = join(dir, 'askpass.sh');
      await writeFile(askpass, ASKPASS_SCRIPT, { mode: 0o700 });
      const origin = originOf(url.url);
      Object.assign(env, {
        GIT_ASKPASS: askpass,
        KILN_GIT_ORIGIN: origin,
        KILN_GIT_AUTH_ORIGIN: origin.replace('://', `://${TOKEN_USERNAME}@`),
        KILN_GIT_USERNAME: TOKEN_USERNAME,
        KILN_GIT_TOKEN: token,
      });
    }
    if (url.kind === 'ssh' || url.kind === 'scp') {
      let keyFile: string | undefined;
      if (credentials.sshPrivateKey !== undefined && credentials.sshPrivateKey !== '') {
        keyFile = join(dir, 'id_key');
        await writeFile(keyFile, normaliseKey(credentials.sshPrivateKey), { mode: 0o600 });
      }
      env['GIT_SSH_COMMAND'] = buildSshCommand({
        sshBin: options.sshBin,
        ...(keyFile !== undefined && { keyFile }),
        ...(options.knownHostsFile !== undefined && { knownHostsFile: options.knownHostsFile }),
      });
    }
    return {
      env,
      configArgs: protocolConfig(options.allowFile),
      redact: (text) => (token === undefined ? text : text.replaceAll(token, '***')),
      dispose: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The whole environment of a git child: nothing inherited but PATH, a private HOME, no system or
 * global config, no prompts, and the C locale so stderr can be classified.
 */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
  };
}

/** A fresh 0700 temp dir (HOME, askpass script, key file) that the caller removes. */
export async function makePrivateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-git-'));
  await chmod(dir, 0o700);
  return dir;
}

/** A token goes only over TLS, or over plain http to this machine (tests, local proxies). */
function checkTokenTransport(url: ValidGitUrl): void {
  if (url.kind === 'http' && !isLoopback(url.host)) {
    throw new KilnError(
      'KILN_ERR_GIT_URL',
      `refusing to send a token over plain http to '${url.host ?? ''}'; use an https:// URL`,
      { field: 'git URL' },
    );
  }
}

export function isLoopback(host: string | null): boolean {
  if (host === null) return false;
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** `scheme://host[:port]`, as git shows it in credential prompts. */
function originOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/** OpenSSH rejects a key without its final newline ("invalid format"); files from Windows have CRLF. */
function normaliseKey(key: string): string {
  const text = key.replaceAll('\r\n', '\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Protocol allow-list for every git call: remote helpers (ext::, fd::, …) never; file:// only when
 * the repository itself is local, so a remote repository's submodules cannot read the server's disk.
 */
export function protocolConfig(allowFile: boolean): string[] {
  return [
    'protocol.allow=never',
    'protocol.https.allow=always',
    'protocol.http.allow=always',
    'protocol.ssh.allow=always',
    `protocol.file.allow=${allowFile ? 'always' : 'never'}`,
    'protocol.ext.allow=never',
    'protocol.fd.allow=never',
    // No credential helper from anywhere: GIT_ASKPASS above is the only source.
    'credential.helper=',
  ].flatMap((setting) => ['-c', setting]);
}
