/** The walker thread of narHash: frames the NAR into the shared ring (see nar-hash-shared.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { isKilnError } from '../errors/index.js';
import { NarWriter, walkNar } from './nar-walk.js';
import {
  CANCELLED,
  CONSUMED,
  DONE,
  FAILED,
  LENGTHS,
  PRODUCED,
  SLOTS,
  STATE,
  slotView,
  type WalkerData,
  type WalkerFailure,
} from './nar-hash-shared.js';

const { path, data, control } = workerData as WalkerData;
const ctl = new Int32Array(control);
let produced = 0;

class Cancelled extends Error {}

function nextFreeSlot(): Buffer {
  // Blocking is fine here: this thread has nothing else to do until the hasher catches up.
  for (;;) {
    if (Atomics.load(ctl, STATE) === CANCELLED) throw new Cancelled();
    const consumed = Atomics.load(ctl, CONSUMED);
    if (produced - consumed < SLOTS) return slotView(data, produced);
    Atomics.wait(ctl, CONSUMED, consumed);
  }
}

try {
  const w = new NarWriter(nextFreeSlot(), {
    flush(bytes) {
      ctl[LENGTHS + (produced % SLOTS)] = bytes.length;
      produced++;
      Atomics.store(ctl, PRODUCED, produced);
      Atomics.notify(ctl, PRODUCED);
      return nextFreeSlot();
    },
  });
  for (const _ of walkNar(Buffer.from(path), w)) {
    // Nothing to interleave on this thread: pauses only matter on the main thread.
  }
  w.flush();
  Atomics.store(ctl, STATE, DONE);
} catch (error) {
  if (!(error instanceof Cancelled)) {
    const e = error as NodeJS.ErrnoException;
    const failure: WalkerFailure = isKilnError(error)
      ? { message: error.message, kilnCode: error.code, details: { ...error.details } }
      : { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
    // Posted before the state changes, so the main thread finds it when it sees FAILED.
    parentPort?.postMessage(failure);
    Atomics.store(ctl, STATE, FAILED);
  }
}
Atomics.notify(ctl, PRODUCED);
