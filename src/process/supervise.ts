import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { killSweep, sendSignal, snapshotTree } from './kill.js';
import { LineSplitter } from './line-splitter.js';
import { processStartTime, type ProcStat } from './proc.js';

export interface RunSupervisedOptions {
  /** Executable: an absolute path, or a name looked up in `env.PATH`. Never run through a shell. */
  command: string;
  args: readonly string[];
  /** The complete environment of the child; process.env is deliberately not inherited. */
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string | Uint8Array;
  /** Complete lines of stdout, without the line terminator. Must not throw. */
  onStdoutLine?: (line: string) => void;
  /** Complete lines of stderr, without the line terminator. Must not throw. */
  onStderrLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Wall-clock limit; when it passes the kill sequence runs and `timedOut` is true. */
  timeoutMs?: number;
  /** Time between SIGTERM to the process group and the SIGKILL sweep (default 2000 ms). */
  killGraceMs?: number;
  /** Lines longer than this (UTF-16 code units) are delivered in pieces (default 1 MiB). */
  maxLineChars?: number;
  /**
   * Called once the child exists. `startTime` is field 22 of /proc/PID/stat (null if it could not
   * be read), so a later process can check the pid still names this process before killing it.
   */
  onSpawn?: (pid: number, startTime: string | null) => void;
}

export interface SupervisedResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/** After the child exits, how long to wait for its pipes to close (a leftover holder may keep them open). */
const PIPE_DRAIN_MS = 1000;

/**
 * Runs one subprocess under supervision: argument array, explicit environment, own process group
 * (detached), line-split output, abort signal and wall-clock timeout. On abort or timeout it sends
 * SIGTERM to the group, then SIGKILLs the group and every descendant it saw in /proc. It resolves
 * when the child has exited and its output has been delivered; it rejects only if the child
 * cannot be started or a line callback throws.
 */
export function runSupervised(opts: RunSupervisedOptions): Promise<SupervisedResult> {
  const started = Date.now();
  if (opts.signal?.aborted) {
    return Promise.resolve({ exitCode: null, signal: null, timedOut: false, aborted: true, durationMs: 0 });
  }
  return new Promise<SupervisedResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(opts.command, [...opts.args], {
        env: { ...opts.env },
        cwd: opts.cwd,
        detached: true,
        shell: false,
        windowsHide: true,
        stdio: [
          opts.stdin === undefined ? 'ignore' : 'pipe',
          opts.onStdoutLine ? 'pipe' : 'ignore',
          opts.onStderrLine ? 'pipe' : 'ignore',
        ],
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    new Supervision(child, opts, started, resolve, reject).start();
  });
}

/** The state of one supervised child; a class so the many event handlers share it plainly. */
class Supervision {
  #timedOut = false;
  #aborted = false;
  #exited = false;
  #settled = false;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  #openStreams = 0;
  #callbackError: Error | null = null;
  #killSnapshot: ProcStat[] | null = null;
  #graceTimer: NodeJS.Timeout | undefined;
  #timeoutTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => {
    this.#aborted = true;
    this.#terminate();
  };

  constructor(
    private readonly child: ChildProcess,
    private readonly opts: RunSupervisedOptions,
    private readonly started: number,
    private readonly resolve: (result: SupervisedResult) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    const { child, opts } = this;
    child.on('error', (error) => {
      // Only spawn failures end here before 'spawn'; later errors (e.g. kill on a reaped pid) are moot.
      if (child.pid === undefined) this.#fail(error);
    });
    child.once('spawn', () => this.#onSpawned());
    child.once('exit', (code, signal) => this.#onExit(code, signal));
    this.#attach(child.stdout, opts.onStdoutLine);
    this.#attach(child.stderr, opts.onStderrLine);
    if (child.stdin) {
      // The child may exit without reading its input; EPIPE is then expected, not an error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin);
    }
  }

  #onSpawned(): void {
    const { child, opts } = this;
    const pid = child.pid;
    if (pid === undefined) return;
    // Read before anything can reap the child: the start time pins the identity of this pid.
    const startTime = processStartTime(pid);
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (opts.timeoutMs !== undefined && Number.isFinite(opts.timeoutMs)) {
      this.#timeoutTimer = setTimeout(
        () => {
          this.#timedOut = true;
          this.#terminate();
        },
        Math.max(0, opts.timeoutMs),
      );
    }
    if (opts.signal?.aborted) this.#onAbort();
    try {
      opts.onSpawn?.(pid, startTime);
    } catch (error) {
      this.#callbackFailed(error);
    }
  }

  #attach(stream: Readable | null, onLine: ((line: string) => void) | undefined): void {
    if (!stream || !onLine) return;
    this.#openStreams++;
    const splitter = new LineSplitter((line) => {
      if (this.#callbackError) return;
      try {
        onLine(line);
      } catch (error) {
        this.#callbackFailed(error);
      }
    }, this.opts.maxLineChars);
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.on('error', () => undefined);
    stream.once('close', () => {
      splitter.end();
      this.#openStreams--;
      this.#maybeFinish();
    });
  }

  #callbackFailed(error: unknown): void {
    this.#callbackError ??= error instanceof Error ? error : new Error(String(error));
    this.#terminate();
  }

  /** Starts the kill sequence once: SIGTERM to the group now, the SIGKILL sweep after the grace period. */
  #terminate(): void {
    const pid = this.child.pid;
    if (this.#exited || this.#killSnapshot !== null || pid === undefined) return;
    // Snapshot first: once nix-store dies its builders are reparented and no longer findable.
    this.#killSnapshot = snapshotTree(pid);
    sendSignal(-pid, 'SIGTERM');
    this.#graceTimer = setTimeout(() => this.#sweep(), this.opts.killGraceMs ?? 2000);
  }

  #sweep(): void {
    clearTimeout(this.#graceTimer);
    const pid = this.child.pid;
    if (this.#killSnapshot === null || pid === undefined) return;
    // While the child is unreaped its pid still names our group; afterwards only verified entries count.
    killSweep(this.#killSnapshot, this.#exited ? [] : [pid]);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exited = true;
    this.#exit = { code, signal };
    clearTimeout(this.#timeoutTimer);
    this.opts.signal?.removeEventListener('abort', this.#onAbort);
    // A killed tree is swept right away: whatever outlived the child is debris that may hold our pipes.
    if (this.#killSnapshot !== null) this.#sweep();
    this.#drainTimer = setTimeout(() => {
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }, PIPE_DRAIN_MS);
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#settled || !this.#exited || this.#openStreams > 0 || this.#exit === null) return;
    this.#settled = true;
    clearTimeout(this.#drainTimer);
    clearTimeout(this.#graceTimer);
    if (this.#callbackError) {
      this.reject(this.#callbackError);
      return;
    }
    this.resolve({
      exitCode: this.#exit.code,
      signal: this.#exit.signal,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      durationMs: Date.now() - this.started,
    });
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timeoutTimer);
    this.opts.signal?.removeEventListener('abort', this.#onAbort);
    this.reject(error);
  }
}
