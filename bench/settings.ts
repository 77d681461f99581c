/** A whole number >= 1 from the environment (benchmark rounds and durations), or the fallback. */
export function envCount(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 1) throw new Error(`${name} must be a number >= 1`);
  return Math.floor(value);
}

/** Options every benchmark nix-build uses: no substituters, busybox as the sandbox's /bin/sh. */
export const NIX_BUILD_OPTS = [
  '--option',
  'substituters',
  '',
  '--option',
  'build-users-group',
  '',
  '--option',
  'sandbox-paths',
  '/bin/sh=/bin/busybox',
];
