import { readFileSync } from 'node:fs';

/** kiln's version from the repository's package.json (dist/src/main/version.js → ../../../). */
function readVersion(): string {
  try {
    const parsed = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const KILN_VERSION = readVersion();
