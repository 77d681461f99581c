import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export const SSHD_BIN = '/usr/sbin/sshd';

/** Why an sshd cannot be started here (null when it can): it must run as root with openssh-server installed. */
export function sshdUnavailableReason(): string | null {
  if (!existsSync(SSHD_BIN)) return `${SSHD_BIN} is not installed (apt-get install openssh-server)`;
  if (process.getuid?.() !== 0) return 'sshd must be started as root';
  return null;
}

export interface SshdOptions {
  /** Further sshd_config lines (e.g. `SetEnv NAME="VALUE"` for every session). */
  extraConfig?: readonly string[];
}

export interface Sshd {
  port: number;
  /** A known_hosts file listing this server's host key for `[127.0.0.1]:PORT`. */
  knownHostsFile: string;
  /** The public host key line (`ssh-ed25519 AAAA… comment`). */
  publicHostKey: string;
  /** Path of the private key authorized to log in as root (OpenSSH format, mode 0600). */
  clientKeyFile: string;
  /** sshd's own log so far (-e: to stderr). */
  log(): string;
  close(): Promise<void>;
}

/**
 * A real OpenSSH server on 127.0.0.1 for tests: a fresh host key, one authorized client key for
 * root, no passwords, everything under `dir`.
 */
export async function startSshd(dir: string, options: SshdOptions = {}): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const hostKey = join(dir, 'host_key');
  const clientKey = join(dir, 'client_key');
  for (const file of [hostKey, clientKey]) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-test', '-f', file]);
  }
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const publicHostKey = readFileSync(`${hostKey}.pub`, 'utf8').trim();
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${publicHostKey.split(' ').slice(0, 2).join(' ')}\n`);

  const child = spawn(SSHD_BIN, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log}`)), 10_000);
    const check = (): void => {
      if (log.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`sshd exited:\n${log}`));
      } else setTimeout(check, 20);
    };
    check();
  });
  return {
    port,
    knownHostsFile,
    publicHostKey,
    clientKeyFile: clientKey,
    log: () => log,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
