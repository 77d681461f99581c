/**
 * `node dist/bench/hash/child.js <path>`: kiln's NAR hash of one path in a process of its own, so
 * its peak memory compares with `nix hash path`'s. Prints one JSON line: the SRI hash, the NAR
 * size, the time spent hashing, the process's max RSS and the longest event-loop block seen.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { narHash, renderNixHash } from '../../src/nar/index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: child.js <path>');
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const start = process.hrtime.bigint();
const { hash, size } = await narHash(path);
const hashMs = Number(process.hrtime.bigint() - start) / 1e6;
// The histogram records a block only when its timer fires (late): let it fire once more.
await sleep(20);
delay.disable();
process.stdout.write(
  `${JSON.stringify({
    sri: renderNixHash(hash, 'sri'),
    size,
    hashMs,
    maxRssKiB: process.resourceUsage().maxRSS,
    // The histogram counts from the timer's due time, so the resolution is not part of the block.
    maxBlockMs: Math.max(0, delay.max / 1e6 - 1),
  })}\n`,
);
