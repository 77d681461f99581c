/** Something text can be written to (process.stdout, or a string collector in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/** Signals the CLI reacts to; `serve` shuts down cleanly on either. */
export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/**
 * Everything the CLI touches outside itself, passed in so tests can run commands in-process with
 * an injected environment and collected output.
 */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal: enables the in-place progress line. */
  isTTY: boolean;
  /** Terminal width, so the progress line never wraps (a wrapped line cannot be redrawn with \r). */
  columns?: number | undefined;
  /** Directory `./.kiln/admin.token` is looked up in; defaults to process.cwd(). */
  cwd?: string | undefined;
  /** Registers a shutdown listener and returns its remover; defaults to process signals. */
  onSignal?: ((listener: (signal: ShutdownSignal) => void) => () => void) | undefined;
  /** Timing knobs for following builds; tests shrink them. */
  timing?: Partial<WatchTiming> | undefined;
}

export interface WatchTiming {
  /** Delay before reconnecting a dropped log stream (the server's `retry:` field overrides it). */
  reconnectDelayMs: number;
  /** Reconnect attempts in a row before falling back to polling. */
  maxReconnects: number;
  /** Interval of the polling fallback. */
  pollIntervalMs: number;
  /** A stream with no bytes (not even a `: ping`) for this long is treated as broken. */
  idleTimeoutMs: number;
  /** Redraw interval of the TTY progress line (the elapsed time ticks). */
  redrawIntervalMs: number;
}

export const DEFAULT_TIMING: WatchTiming = {
  reconnectDelayMs: 1000,
  maxReconnects: 3,
  pollIntervalMs: 1000,
  idleTimeoutMs: 60_000,
  redrawIntervalMs: 1000,
};

export function timingOf(io: CliIo): WatchTiming {
  return { ...DEFAULT_TIMING, ...io.timing };
}

export function writeLine(sink: TextSink, text = ''): void {
  sink.write(`${text}\n`);
}

/** The signal hook of `io`, defaulting to the real process's SIGINT and SIGTERM. */
export function signalHook(io: CliIo): (listener: (signal: ShutdownSignal) => void) => () => void {
  if (io.onSignal) return io.onSignal;
  return (listener) => {
    const onInt = (): void => listener('SIGINT');
    const onTerm = (): void => listener('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  };
}

export function writeJson(sink: TextSink, value: unknown): void {
  sink.write(`${JSON.stringify(value, null, 2)}\n`);
}
