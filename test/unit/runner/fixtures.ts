import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../helpers/paths.js';
import { createInternalJsonParser, type NixEvent } from '../../../src/runner/nix/index.js';

/** The stderr lines of one recorded Nix run (see test/fixtures/nix-internal-json/record.sh). */
export function fixtureLines(name: string): string[] {
  const text = readFileSync(join(fixturesDir, 'nix-internal-json', name), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

/** Replays a fixture through a fresh parser. */
export function replay(name: string): NixEvent[] {
  const parser = createInternalJsonParser();
  return fixtureLines(name).flatMap((line) => parser.push(line));
}

export function ofType<T extends NixEvent['type']>(
  events: NixEvent[],
  type: T,
): Extract<NixEvent, { type: T }>[] {
  return events.filter((e): e is Extract<NixEvent, { type: T }> => e.type === type);
}
