import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt } from 'node:crypto';

/** Pids of live (non-zombie) processes whose command line, space-joined, equals `cmdline`. */
export function processesWithCmdline(cmdline: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0$/, '').split('\0').join(' ');
      if (text === cmdline) found.push(Number(name));
    } catch {
      // Gone while scanning.
    }
  }
  return found;
}

/** Waits until `predicate` holds, polling; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A `sleep` duration nobody else uses, so leftover processes can be found by command line. */
export function uniqueSleepSeconds(): string {
  return `300.${randomInt(100000, 999999)}`;
}

/** A fresh string for derivation names and nonces, so every test really builds. */
export function nonce(): string {
  return `${Date.now().toString(36)}${randomInt(1 << 30).toString(36)}`;
}
