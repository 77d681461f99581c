import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { KilnError } from '../errors/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { HashAlgo, NixHash } from './hash.js';
import {
  CANCELLED,
  CONSUMED,
  CONTROL_INTS,
  DONE,
  FAILED,
  LENGTHS,
  PRODUCED,
  SLOT_SIZE,
  SLOTS,
  STATE,
  type WalkerData,
  type WalkerFailure,
} from './nar-hash-shared.js';

const WORKER = new URL('./nar-hash-worker.js', import.meta.url);
/** Atomics.waitAsync (Node 16+; missing from this project's TypeScript lib). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      this: void,
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;
/** This thread gives the event loop a turn at least this often. */
const SLICE_MS = 10;
/** How often a wait re-checks that the walker thread is still alive. */
const WAIT_MS = 250;

/**
 * narHash with the walk on its own thread: the syscalls and framing (most of the cost on many
 * small files) overlap the hashing here, and this thread's event loop is never blocked for longer
 * than one 1 MiB hash update.
 */
export async function narHashOnThread(
  path: string,
  algo: HashAlgo,
): Promise<{ hash: NixHash; size: number }> {
  const data = new SharedArrayBuffer(SLOTS * SLOT_SIZE);
  const control = new SharedArrayBuffer(CONTROL_INTS * 4);
  const ctl = new Int32Array(control);
  const workerData: WalkerData = { path: new Uint8Array(Buffer.from(path)), data, control };
  const worker = new Worker(WORKER, { workerData });
  let crashed: Error | undefined;
  let exited = false;
  const failure = new Promise<WalkerFailure>((resolve) => worker.once('message', resolve));
  worker.once('error', (error) => (crashed = error));
  worker.once('exit', () => (exited = true));
  const hasher = createHash(algo);
  let consumed = 0;
  let size = 0;
  let sliceStart = performance.now();
  try {
    for (;;) {
      const produced = Atomics.load(ctl, PRODUCED);
      while (consumed < produced) {
        const slot = consumed % SLOTS;
        const length = ctl[LENGTHS + slot] ?? 0;
        hasher.update(new Uint8Array(data, slot * SLOT_SIZE, length));
        size += length;
        consumed++;
        Atomics.store(ctl, CONSUMED, consumed);
        Atomics.notify(ctl, CONSUMED);
      }
      const state = Atomics.load(ctl, STATE);
      if (state === DONE && Atomics.load(ctl, PRODUCED) === consumed) break;
      if (state === FAILED) throw rebuild(await failure);
      if (crashed) throw crashed;
      if (exited && state !== DONE) throw new Error(`NAR walker thread for '${path}' exited early`);
      const wait = waitAsync(ctl, PRODUCED, produced, WAIT_MS);
      if (wait.async) {
        await wait.value;
        sliceStart = performance.now();
      } else if (performance.now() - sliceStart > SLICE_MS) {
        // The walker keeps ahead (a large file): without this the loop would never get a turn.
        await nextTurn();
        sliceStart = performance.now();
      }
    }
  } finally {
    if (!exited) {
      // Wakes a walker blocked on a full ring, which then stops.
      Atomics.store(ctl, STATE, CANCELLED);
      Atomics.notify(ctl, CONSUMED);
    }
  }
  return { hash: { algo, digest: new Uint8Array(hasher.digest()) }, size };
}

function rebuild(failure: WalkerFailure): Error {
  if (failure.kilnCode !== undefined) {
    return new KilnError(failure.kilnCode as ErrorCode, failure.message, failure.details);
  }
  const { message, ...rest } = failure;
  return Object.assign(new Error(message), rest);
}
