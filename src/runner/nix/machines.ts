import { KilnError } from '../../errors/index.js';

/**
 * One line of a Nix machines file (the `builders` setting), as Nix 2.8 reads it:
 * `URI SYSTEMS SSH-KEY MAX-JOBS SPEED-FACTOR SUPPORTED-FEATURES MANDATORY-FEATURES HOST-KEY`,
 * whitespace-separated, `-` for "not set", entries separated by newlines or `;`, `#` comments.
 * Nix routes each derivation to a machine whose systems and features fit, up to its max jobs.
 */
export interface NixMachine {
  /** 1-based line (or `;`-entry) number in the text, for messages. */
  line: number;
  /** The store URI Nix connects to (a bare host name means `ssh://HOST`, as in Nix). */
  storeUri: string;
  /** Platforms it builds for; empty means the local system (`-`). */
  systems: string[];
  /** Absolute path of the ssh identity file, or null (`-`). */
  sshKey: string | null;
  maxJobs: number;
  speedFactor: number;
  supportedFeatures: string[];
  /** Features a derivation must require to be sent here. */
  mandatoryFeatures: string[];
  /** The base64 of the machine's public host key line, or null (`-`). */
  publicHostKey: string | null;
}

const MAX_FIELDS = 8;
const SYSTEM = /^(?:builtin|[A-Za-z0-9_]+-[A-Za-z0-9_]+)$/;
const FEATURE = /^[A-Za-z0-9_.+-]+$/;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/;
/** `[USER@]HOST`; neither may start with `-`, which ssh would read as an option. */
const SSH_AUTHORITY = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*@)?([A-Za-z0-9][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HOST_KEY_LINE =
  /^(?:ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,2}(?:\s|$)/;

/**
 * Parses and checks a machines text. Throws KILN_ERR_CONFIG naming `source`, the entry and the
 * field for anything Nix 2.8 would reject, crash on, or quietly misread (a port in an ssh URI, a
 * fractional speed factor, a relative key path).
 */
export function parseMachines(text: string, source = 'nix.builders'): NixMachine[] {
  const machines: NixMachine[] = [];
  text.split(/[\n;]/).forEach((raw, index) => {
    const line = index + 1;
    const entry = raw.replace(/#.*$/, '').trim();
    if (entry === '') return;
    const fail = (message: string): never => {
      throw new KilnError('KILN_ERR_CONFIG', `${source} line ${line}: ${message}`, { source, line });
    };
    if (entry.startsWith('@'))
      fail('an @FILE include cannot appear inside a machines text; give kiln the file itself');
    const fields = entry.split(/\s+/);
    if (fields.length > MAX_FIELDS)
      fail(
        `${fields.length} fields, but a machines line has at most ${MAX_FIELDS}: ` +
          'URI SYSTEMS SSH-KEY MAX-JOBS SPEED-FACTOR SUPPORTED-FEATURES MANDATORY-FEATURES HOST-KEY',
      );
    const field = (n: number): string | null => {
      const value = fields[n];
      return value === undefined || value === '' || value === '-' ? null : value;
    };
    machines.push({
      line,
      storeUri: checkStoreUri(fields[0] ?? '', fail),
      systems: list(field(1), SYSTEM, 'system', fail),
      sshKey: checkKeyPath(field(2), fail),
      maxJobs: wholeNumber(field(3), 'max jobs', 0, fail),
      speedFactor: wholeNumber(field(4), 'speed factor', 1, fail),
      supportedFeatures: list(field(5), FEATURE, 'supported feature', fail),
      mandatoryFeatures: list(field(6), FEATURE, 'mandatory feature', fail),
      publicHostKey: checkHostKey(field(7), fail),
    });
  });
  return machines;
}

/** Systems any machine builds for (the local system stands for `-`). */
export function machineSystems(machines: readonly NixMachine[], localSystem: string): string[] {
  return [...new Set(machines.flatMap((m) => (m.systems.length > 0 ? m.systems : [localSystem])))];
}

type Fail = (message: string) => never;

function checkStoreUri(uri: string, fail: Fail): string {
  const scheme = SCHEME.exec(uri);
  if (!scheme) {
    // Nix's own store names pass through; anything else is a host name Nix reaches over ssh://.
    if (/^(?:local|remote|auto)/.test(uri)) return uri;
    return `ssh://${checkSshAuthority(uri, uri, fail)}`;
  }
  const [, protocol, rest = ''] = scheme;
  if (protocol === 'ssh' || protocol === 'ssh-ng') {
    const authority = rest.split('?')[0] ?? '';
    checkSshAuthority(authority, uri, fail);
  }
  return uri;
}

function checkSshAuthority(authority: string, uri: string, fail: Fail): string {
  if (/:\d+$/.test(authority) && !authority.endsWith(']'))
    fail(
      `'${uri}' has a port, which Nix 2.8 passes to ssh as part of the host name; ` +
        'set the port with nix.sshOptions (NIX_SSHOPTS, e.g. "-p 2222") or an ssh config Host entry',
    );
  if (!SSH_AUTHORITY.test(authority)) fail(`'${uri}' is not a store URI nor a [USER@]HOST`);
  return authority;
}

function list(value: string | null, pattern: RegExp, what: string, fail: Fail): string[] {
  if (value === null) return [];
  const items = value.split(',');
  for (const item of items) {
    if (!pattern.test(item))
      fail(`'${item}' is not a ${what}${what === 'system' ? ' (like x86_64-linux)' : ''}`);
  }
  return [...new Set(items)];
}

function checkKeyPath(value: string | null, fail: Fail): string | null {
  if (value !== null && !value.startsWith('/'))
    fail(`the ssh key '${value}' must be an absolute path (or - for none)`);
  return value;
}

function wholeNumber(value: string | null, what: string, minimum: number, fail: Fail): number {
  if (value === null) return 1;
  if (!/^\d{1,6}$/.test(value) || Number(value) < minimum)
    fail(`${what} must be a whole number >= ${minimum} (Nix 2.8 reads no fractions), got '${value}'`);
  return Number(value);
}

function checkHostKey(value: string | null, fail: Fail): string | null {
  if (value === null) return null;
  const decoded = BASE64.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
  if (!HOST_KEY_LINE.test(decoded))
    fail(
      'the host key must be the base64 of a public key line (base64 -w0 /etc/ssh/ssh_host_ed25519_key.pub)',
    );
  return value;
}
