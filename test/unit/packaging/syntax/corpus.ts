import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../../helpers/paths.js';

/** Hand-written package files (test/fixtures/nix-corpus), every one accepted by Nix 2.8. */
export const corpusDir = join(fixturesDir, 'nix-corpus');
export const corpusFiles = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.nix'))
  .sort();

export function readCorpus(name: string): string {
  return readFileSync(join(corpusDir, name), 'utf8');
}
