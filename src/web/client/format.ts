// Pure formatting helpers (no DOM): durations, sizes, relative times, short SHAs.

/** `950 ms`, `12.3 s`, `4m 05s`, `2h 03m`. Negative or non-finite input is treated as 0. */
export function formatDuration(ms: number): string {
  const value = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(Math.floor(value / 100) / 10).toFixed(1)} s`;
  const totalSeconds = Math.floor(value / 1000);
  const seconds = totalSeconds % 60;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m ${String(seconds).padStart(2, '0')}s`;
  const minutes = totalMinutes % 60;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours}h ${String(minutes).padStart(2, '0')}m`;
  return `${Math.floor(totalHours / 24)}d ${String(totalHours % 24).padStart(2, '0')}h`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary units: `512 B`, `1.5 KiB`, `23.4 MiB`. Null/undefined/NaN give an em dash. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  let value = Math.abs(n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${sign}${Math.round(value)} B`;
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${sign}${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** `just now`, `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`, or the date for older; future times say `in …`. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const delta = now - then;
  const future = delta < 0;
  const seconds = Math.floor(Math.abs(delta) / 1000);
  const say = (text: string): string => (future ? `in ${text}` : `${text} ago`);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return say(`${seconds} s`);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return say(`${minutes} min`);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return say(`${hours} h`);
  const days = Math.floor(hours / 24);
  if (days < 30) return say(`${days} d`);
  return new Date(then).toISOString().slice(0, 10);
}

/** The first 8 characters of a commit SHA. */
export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

/**
 * How long a build has run: its recorded duration when finished, otherwise the time since it
 * started (ticking), or null when it has not started.
 */
export function elapsedMs(
  build: { startedAt: string | null; finishedAt: string | null; durationMs: number | null },
  now: number = Date.now(),
): number | null {
  if (build.durationMs !== null) return build.durationMs;
  if (!build.startedAt) return null;
  const start = Date.parse(build.startedAt);
  const end = build.finishedAt ? Date.parse(build.finishedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

/** A store path without its hash: `/nix/store/abc…-hello-1.0` → `hello-1.0`. */
export function storePathName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dash = base.indexOf('-');
  return dash === 32 ? base.slice(dash + 1) : base;
}
