import { join } from 'node:path';

/** Settings kiln passes to every Nix invocation, so nix.conf never decides how kiln builds. */
export interface NixSettings {
  sandbox: boolean;
  /** Mounted as /bin/sh inside the sandbox. */
  sandboxShell: string;
  extraPlatforms: readonly string[];
  /** Cores per build (0 = all). */
  cores: number;
  /** Derivations built in parallel by one nix-store. */
  maxJobs: number;
  /** Binary caches to substitute from; empty means build everything locally. */
  substituters?: readonly string[];
  /** Keys whose signatures make a substituted path acceptable (`trusted-public-keys`). */
  trustedPublicKeys?: readonly string[];
  /**
   * Nix's `--store`: a worker's own store (a chroot store directory such as `/srv/w1`, or a URL
   * like `local?root=/srv/w1`); absent or empty means the machine's store.
   */
  store?: string;
  /** Nix's `builders` value: machines text, or `@FILE`; absent or empty means local builds only. */
  builders?: string;
  /** Remote builders fetch their inputs from the substituters themselves instead of from us. */
  buildersUseSubstitutes?: boolean;
}

/** One program with its arguments, ready for runSupervised. */
export interface NixInvocation {
  command: string;
  args: string[];
}

const option = (name: string, value: string): string[] => ['--option', name, value];

/** `--store STORE` when a worker has a store of its own; every command touching the store gets it. */
export function storeArgs(settings: Pick<NixSettings, 'store'>): string[] {
  return settings.store ? ['--store', settings.store] : [];
}

/** `builders` always (so nix.conf's never applies), and `builders-use-substitutes` with builders. */
function builderOptions(settings: NixSettings): string[] {
  const builders = settings.builders ?? '';
  return [
    ...option('builders', builders),
    ...(builders === ''
      ? []
      : option('builders-use-substitutes', settings.buildersUseSubstitutes === false ? 'false' : 'true')),
  ];
}

/** The `--option` list (and `--store`) every invocation gets. */
export function commonOptions(settings: NixSettings): string[] {
  if (!Number.isInteger(settings.cores) || settings.cores < 0)
    throw new RangeError('cores must be an integer >= 0');
  if (!Number.isInteger(settings.maxJobs) || settings.maxJobs < 1) {
    // max-jobs 0 would forbid local builds altogether, which kiln never wants.
    throw new RangeError('maxJobs must be an integer >= 1');
  }
  return [
    ...option('sandbox', settings.sandbox ? 'true' : 'false'),
    // Without this Nix silently builds unsandboxed where the sandbox cannot be set up.
    ...option('sandbox-fallback', 'false'),
    ...option('sandbox-paths', `/bin/sh=${settings.sandboxShell}`),
    // Single-user Nix running as root: builds run as root instead of nixbld users.
    ...option('build-users-group', ''),
    ...option('substituters', (settings.substituters ?? []).join(' ')),
    ...(settings.trustedPublicKeys && settings.trustedPublicKeys.length > 0
      ? option('trusted-public-keys', settings.trustedPublicKeys.join(' '))
      : []),
    ...option('extra-platforms', settings.extraPlatforms.join(' ')),
    ...option('experimental-features', 'nix-command flakes'),
    ...option('cores', String(settings.cores)),
    ...option('max-jobs', String(settings.maxJobs)),
    ...builderOptions(settings),
    ...storeArgs(settings),
  ];
}

/** `nix-instantiate --parse FILE`: syntax check only, nothing is evaluated. */
export function parseArgs(
  binDir: string,
  settings: NixSettings,
  file: string | readonly string[],
): NixInvocation {
  return {
    command: join(binDir, 'nix-instantiate'),
    args: ['--parse', '--log-format', 'internal-json', ...commonOptions(settings), '--', ...[file].flat()],
  };
}

export interface InstantiateArgsOptions {
  /** One file, or several evaluated in order by one process (their outputs follow in the same order). */
  file: string | readonly string[];
  /** `-A` attribute path (kiln's wrapper normally selects itself and leaves this unset). */
  attr?: string;
  /** Evaluation platform: `builtins.currentSystem` follows it. */
  system?: string;
}

/** `nix-instantiate FILE`: evaluation, printing one .drv path (maybe `!output`) per line. */
export function instantiateArgs(
  binDir: string,
  settings: NixSettings,
  opts: InstantiateArgsOptions,
): NixInvocation {
  return {
    command: join(binDir, 'nix-instantiate'),
    args: [
      '--log-format',
      'internal-json',
      ...commonOptions(settings),
      ...(opts.system ? option('system', opts.system) : []),
      ...(opts.attr ? ['--attr', opts.attr] : []),
      '--',
      ...[opts.file].flat(),
    ],
  };
}

export interface RealiseArgsOptions {
  drvPaths: readonly string[];
  /** Output links are ROOT, ROOT-2, … (ROOT-NAME for outputs other than out); omitted: no roots. */
  gcRoot?: string;
  /** Nix's own per-derivation build timeout; 0 = none. */
  timeoutSeconds: number;
  /** Nix kills a builder silent for this long; 0 = none. */
  maxSilentSeconds: number;
  /** Build every derivation that can be built, so one run reports every failure (`--keep-going`). */
  keepGoing?: boolean;
  /** Rebuild already-valid outputs and compare (`--check`): for fixed outputs, a fresh fetch. */
  check?: boolean;
}

/** `nix-store --realise` with structured progress on stderr and output paths (or roots) on stdout. */
export function realiseArgs(binDir: string, settings: NixSettings, opts: RealiseArgsOptions): NixInvocation {
  if (opts.drvPaths.length === 0) throw new RangeError('nothing to realise');
  return {
    command: join(binDir, 'nix-store'),
    args: [
      '--realise',
      '--log-format',
      'internal-json',
      ...commonOptions(settings),
      '--timeout',
      String(wholeSeconds(opts.timeoutSeconds)),
      '--max-silent-time',
      String(wholeSeconds(opts.maxSilentSeconds)),
      ...(opts.gcRoot ? ['--add-root', opts.gcRoot, '--indirect'] : []),
      ...(opts.keepGoing ? ['--keep-going'] : []),
      ...(opts.check ? ['--check'] : []),
      '--',
      ...opts.drvPaths,
    ],
  };
}

/**
 * `nix path-info --recursive --json PATHS`: every path of the union of the closures, each once,
 * with its narSize. One call on Nix 2.8, where `-S` would count shared paths once per output.
 */
export function pathInfoArgs(binDir: string, settings: NixSettings, paths: readonly string[]): NixInvocation {
  return {
    command: join(binDir, 'nix'),
    args: ['path-info', '--recursive', '--json', ...commonOptions(settings), '--', ...paths],
  };
}

export interface EvalArgsOptions {
  /** A Nix expression; relative paths in it resolve against the caller's working directory. */
  expr: string;
  /** Evaluation platform: `builtins.currentSystem` follows it. */
  system?: string;
}

/**
 * `nix-instantiate --eval --strict --json --expr`: the value as JSON. Read-write mode, so a
 * `drvPath` the value mentions is also written to the store and can be built afterwards.
 */
export function evalArgs(binDir: string, settings: NixSettings, opts: EvalArgsOptions): NixInvocation {
  return {
    command: join(binDir, 'nix-instantiate'),
    args: [
      '--eval',
      '--strict',
      '--json',
      '--read-write-mode',
      '--log-format',
      'internal-json',
      ...commonOptions(settings),
      ...(opts.system ? option('system', opts.system) : []),
      '--expr',
      opts.expr,
    ],
  };
}

/** `nix show-derivation --recursive DRVS`: every derivation of the closures, as one JSON object. */
export function showDerivationArgs(
  binDir: string,
  settings: NixSettings,
  drvPaths: readonly string[],
): NixInvocation {
  return {
    command: join(binDir, 'nix'),
    args: ['show-derivation', '--recursive', ...commonOptions(settings), '--', ...drvPaths],
  };
}

/** `nix-store --check-validity --print-invalid PATHS`: prints the paths that are not valid. */
export function checkValidityArgs(
  binDir: string,
  paths: readonly string[],
  settings: Pick<NixSettings, 'store'> = {},
): NixInvocation {
  return {
    command: join(binDir, 'nix-store'),
    args: ['--check-validity', '--print-invalid', ...storeArgs(settings), '--', ...paths],
  };
}

/** `nix-store --version`. */
export function versionArgs(binDir: string): NixInvocation {
  return { command: join(binDir, 'nix-store'), args: ['--version'] };
}

export interface BuildEnvOptions {
  binDir: string;
  home: string;
  /** NIX_PATH for `<nixpkgs>` lookups; empty or absent leaves it unset. */
  nixPath?: string;
  /** NIX_SSHOPTS for remote builders' ssh (e.g. `-p 2222`: Nix 2.8's ssh URIs carry no port). */
  sshOptions?: string;
}

/** The complete environment of a Nix child: nothing leaks in from kiln's own environment. */
export function buildEnv(opts: BuildEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${opts.binDir}:/usr/bin:/bin`,
    HOME: opts.home,
    LANG: 'C.UTF-8',
  };
  if (opts.nixPath) env.NIX_PATH = opts.nixPath;
  if (opts.sshOptions) env.NIX_SSHOPTS = opts.sshOptions;
  return env;
}

function wholeSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('seconds must be >= 0');
  return Math.ceil(seconds);
}
