import type { BuildEvent, BuildEvents } from '../builds/index.js';
import {
  BUILD_STATUSES,
  MAX_SIGNAL_PAYLOAD_BYTES,
  type BuildProgress,
  type BuildStatus,
  type NodeSignals,
} from '../persistence/index.js';

/** The channel every kiln process on one database publishes its build events on. */
export const BUILD_EVENTS_CHANNEL = 'kiln_build_events';

/** Events of a few milliseconds go out as one signal: a busy log flushes many times a second. */
const BATCH_MS = 25;
/** Strings a progress event carries are cut to this many characters in a signal. */
const MAX_TEXT = 300;

/**
 * Build events between processes: this process's events go to the others as signals, theirs are
 * emitted here. Both sides treat them as hints (re-read the store), as with local events.
 */
export interface BuildEventBridge {
  /** True for an event emitted here because another process published it. */
  isRemote(event: BuildEvent): boolean;
  /** Calls `listener` for every event heard from another process (after it was emitted here). */
  onRemote(listener: (event: BuildEvent) => void): void;
  /** Publishes what is queued, then stops hearing and publishing. */
  close(): Promise<void>;
}

export interface BridgeOptions {
  /** Absent (SQLite: one process per database) makes a bridge that does nothing. */
  signals: NodeSignals | undefined;
  events: BuildEvents;
  /** This process's id: its own signals come back to it and are skipped. */
  origin: string;
  log: (line: string) => void;
}

/** One event on the wire: [kind, build id, status or progress]. */
type WireEvent = ['s', string, BuildStatus] | ['l', string] | ['p', string, BuildProgress];

export function bridgeBuildEvents(options: BridgeOptions): BuildEventBridge {
  const { signals, events, origin, log } = options;
  const remote = new WeakSet<BuildEvent>();
  const remoteListeners: ((event: BuildEvent) => void)[] = [];
  if (!signals) {
    return { isRemote: () => false, onRemote: () => undefined, close: () => Promise.resolve() };
  }

  let queue: BuildEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();
  let failing = false;
  let closed = false;

  const send = async (batch: BuildEvent[]): Promise<void> => {
    for (const payload of encode(origin, batch)) {
      try {
        await signals.publish(BUILD_EVENTS_CHANNEL, payload);
        if (failing) log('cross-node build events are published again');
        failing = false;
      } catch (error) {
        // Other processes see the change on their next poll; say so once per outage.
        if (!failing) log(`cross-node build events not published (other nodes will poll): ${String(error)}`);
        failing = true;
      }
    }
  };
  const flush = (): void => {
    timer = undefined;
    const batch = queue;
    queue = [];
    if (batch.length > 0) sending = sending.then(() => send(batch));
  };

  const unsubscribeLocal = events.subscribe('*', (event) => {
    if (closed || remote.has(event)) return; // heard from elsewhere: never sent back (no echo)
    queue.push(event);
    timer ??= setTimeout(flush, BATCH_MS);
  });
  const unsubscribeSignals = signals.subscribe(BUILD_EVENTS_CHANNEL, (payload) => {
    if (closed) return;
    for (const event of decode(origin, payload)) {
      remote.add(event);
      events.emit(event);
      for (const listener of remoteListeners) listener(event);
    }
  });

  return {
    isRemote: (event) => remote.has(event),
    onRemote: (listener) => {
      remoteListeners.push(listener);
    },
    async close() {
      if (closed) return;
      if (timer) clearTimeout(timer);
      flush();
      closed = true;
      unsubscribeLocal();
      unsubscribeSignals();
      await sending;
    },
  };
}

/**
 * Payloads of at most MAX_SIGNAL_PAYLOAD_BYTES: `{"o":origin,"e":[...]}`. A build's log events in
 * one batch are one ("look again"), its progress the latest; status changes all go, in order.
 */
export function encode(origin: string, batch: readonly BuildEvent[]): string[] {
  const wire: WireEvent[] = [];
  const logged = new Set<string>();
  const progressAt = new Map<string, number>();
  for (const event of batch) {
    if (event.type === 'status') wire.push(['s', event.buildId, event.status]);
    else if (event.type === 'log') {
      if (!logged.has(event.buildId)) wire.push(['l', event.buildId]);
      logged.add(event.buildId);
    } else {
      const progress = {
        ...event.progress,
        phase: cut(event.progress.phase),
        activeDrv: cut(event.progress.activeDrv),
      };
      const at = progressAt.get(event.buildId);
      if (at === undefined) {
        progressAt.set(event.buildId, wire.length);
        wire.push(['p', event.buildId, progress]);
      } else wire[at] = ['p', event.buildId, progress];
    }
  }
  const head = `{"o":${JSON.stringify(origin)},"e":[`;
  const payloads: string[] = [];
  let items: string[] = [];
  let bytes = Buffer.byteLength(head) + 2;
  for (const item of wire.map((entry) => JSON.stringify(entry))) {
    const size = Buffer.byteLength(item) + 1;
    if (items.length > 0 && bytes + size > MAX_SIGNAL_PAYLOAD_BYTES) {
      payloads.push(`${head}${items.join(',')}]}`);
      items = [];
      bytes = Buffer.byteLength(head) + 2;
    }
    items.push(item);
    bytes += size;
  }
  if (items.length > 0) payloads.push(`${head}${items.join(',')}]}`);
  return payloads;
}

/** The events of another process's payload; this process's own, and anything malformed, are none. */
export function decode(origin: string, payload: string): BuildEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const { o, e } = parsed as { o?: unknown; e?: unknown };
  if (typeof o !== 'string' || o === origin || !Array.isArray(e)) return [];
  const out: BuildEvent[] = [];
  for (const entry of e as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[1] !== 'string') continue;
    const [kind, buildId, extra] = entry as [unknown, string, unknown];
    if (kind === 's' && isStatus(extra)) out.push({ type: 'status', buildId, status: extra });
    else if (kind === 'l') out.push({ type: 'log', buildId });
    else if (kind === 'p' && isProgress(extra)) out.push({ type: 'progress', buildId, progress: extra });
  }
  return out;
}

function cut(text: string | null): string | null {
  return text === null || text.length <= MAX_TEXT ? text : text.slice(0, MAX_TEXT);
}

function isStatus(value: unknown): value is BuildStatus {
  return typeof value === 'string' && (BUILD_STATUSES as readonly string[]).includes(value);
}

function isProgress(value: unknown): value is BuildProgress {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  const textOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
  return (
    ['done', 'expected', 'running', 'failed'].every((key) => typeof p[key] === 'number') &&
    textOrNull(p['phase']) &&
    textOrNull(p['activeDrv'])
  );
}
