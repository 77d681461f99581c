import type { BuildView } from '../../api/index.js';
import type { KilnClient } from '../client.js';
import { signalHook, timingOf, writeLine, type CliIo } from '../io.js';
import { watchBuild } from '../watch.js';
import { FollowDisplay } from './display.js';

/** Exit code when the user interrupts a wait (the build itself keeps running on the server). */
export const INTERRUPTED = 130;

/**
 * Waiting for builds from the CLI: one display (log lines with follow, a status line on a TTY) and
 * one Ctrl-C hook for every build watched, in as many rounds as the caller needs (a matrix's
 * evaluation, then its children).
 */
export class FollowSession {
  readonly #client: KilnClient;
  readonly #io: CliIo;
  readonly #follow: boolean;
  readonly #display: FollowDisplay;
  readonly #controller = new AbortController();
  readonly #removeSignal: () => void;
  #interrupted = false;
  /** What the last round watched: what `kiln cancel` would have to stop. */
  #watching: readonly BuildView[] = [];

  constructor(client: KilnClient, io: CliIo, plan: { mode: 'wait' | 'follow'; json: boolean }) {
    this.#client = client;
    this.#io = io;
    this.#follow = plan.mode === 'follow';
    this.#display = new FollowDisplay(io, {
      // With --json, stdout carries exactly one JSON document: the log goes to stderr.
      logSink: plan.json ? io.stderr : io.stdout,
      statusLine: io.isTTY && !plan.json,
      redrawIntervalMs: timingOf(io).redrawIntervalMs,
    });
    this.#removeSignal = signalHook(io)(() => {
      this.#interrupted = true;
      this.#controller.abort(new Error('interrupted'));
    });
    this.#display.start();
  }

  /** Waits until every build in `builds` has ended; `label` names each in the display. */
  watch(builds: readonly BuildView[], label: (build: BuildView) => string | undefined): Promise<BuildView[]> {
    this.#watching = builds;
    for (const build of builds) this.#display.add(build, label(build));
    const timing = timingOf(this.#io);
    return Promise.all(
      builds.map((build) =>
        watchBuild(this.#client, build.id, {
          timing,
          wantLines: this.#follow,
          signal: this.#controller.signal,
          onLine: this.#follow ? (line) => this.#display.line(build.id, line) : undefined,
          onProgress: (progress) => this.#display.progress(build.id, progress),
          onStatus: (view) => this.#display.status(view),
        }),
      ),
    );
  }

  /**
   * Ends the session after `watch` threw: an interruption by the user is reported (what keeps
   * running, how to cancel it) and answered with INTERRUPTED; any other error is rethrown.
   */
  interruptedBy(error: unknown, what: 'build' | 'run'): number {
    this.close();
    if (!this.#interrupted) throw error;
    const ids = this.#watching.map((b) => b.id).join(' ');
    const keeps = what === 'build' ? 'the build keeps running' : 'the run keeps going';
    writeLine(this.#io.stderr, `interrupted: ${keeps} on the server (kiln cancel ${ids} to stop it)`);
    return INTERRUPTED;
  }

  /** Stops the display, the Ctrl-C hook and any watcher still running (when another one failed). */
  close(): void {
    this.#display.stop();
    this.#removeSignal();
    this.#controller.abort();
  }
}
