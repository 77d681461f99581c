/** Template versions: one to four dot-separated numbers, compared numerically (1.10 > 1.9). */
const VERSION = /^\d{1,9}(\.\d{1,9}){0,3}$/;

export function isVersion(value: string): boolean {
  return VERSION.test(value);
}

/** Negative when a < b, zero when equal (1.0 equals 1.0.0), positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
