import { randomBytes } from 'node:crypto';

/** A unique tag so that every test derivation really builds instead of hitting the store. */
export function nonce(): string {
  return randomBytes(8).toString('hex');
}

/** A busybox-only derivation expression running `script`; `$out` must be created by the script. */
export function drvExpr(script: string, options: { name?: string; system?: string } = {}): string {
  const name = options.name ?? 'kiln-test';
  const system = options.system ?? 'x86_64-linux';
  return `derivation {
  name = "${name}";
  system = "${system}";
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  nonce = "${nonce()}";
  args = [ "-c" ${JSON.stringify(script)} ];
}`;
}

/** True when a process whose command line contains `needle` is alive. */
export async function processWithArgExists(needle: string): Promise<boolean> {
  const { readdir, readFile } = await import('node:fs/promises');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (cmdline.includes(needle)) {
        const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
        if (!/\) Z /.test(stat)) return true; // zombies are gone already, only not yet reaped
      }
    } catch {
      // the process exited while we looked
    }
  }
  return false;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
