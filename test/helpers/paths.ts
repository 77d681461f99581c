import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root, from dist/test/helpers/paths.js. */
export const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
