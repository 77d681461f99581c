const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary sizes, as Nix reports closure sizes: `512 B`, `1.5 KiB`, `12.3 MiB`, `120 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // Rounding 1023.96 to one decimal would print "1024.0 KiB": step up a unit instead.
  if (value >= 1023.95 && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1] ?? ''}`;
  return `${value < 100 ? value.toFixed(1) : Math.round(value).toString()} ${UNITS[unit] ?? ''}`;
}
