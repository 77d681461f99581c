/**
 * The hand-over between narHash on the main thread and the walker thread (nar-hash-worker.ts): a
 * ring of buffers in shared memory. The walker frames the NAR straight into a slot, the main
 * thread hashes the slot in place and hands it back; no copies, no messages per buffer, and at
 * most SLOTS buffers in flight, so memory stays flat however far the walker could run ahead.
 */
export const SLOTS = 4;
export const SLOT_SIZE = 1024 * 1024;

/** Int32 indexes into the control array. */
export const PRODUCED = 0;
export const CONSUMED = 1;
export const STATE = 2;
/** Byte length of slot i's contents is at LENGTHS + i. */
export const LENGTHS = 3;
export const CONTROL_INTS = LENGTHS + SLOTS;

/** Values of control[STATE]. */
export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;
/** Set by the main thread: the walker must stop. */
export const CANCELLED = 3;

export interface WalkerData {
  path: Uint8Array;
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** An error crossing the thread boundary: structured clone keeps neither class nor code. */
export interface WalkerFailure {
  message: string;
  kilnCode?: string;
  details?: Record<string, unknown>;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

export function slotView(data: SharedArrayBuffer, index: number): Buffer {
  return Buffer.from(data, (index % SLOTS) * SLOT_SIZE, SLOT_SIZE);
}
