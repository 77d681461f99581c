import type { BuildView, LogLineView } from '../../api/index.js';
import type { CliIo, TextSink } from '../io.js';
import { progressLine, type ProgressEntry } from '../render/progress.js';
import { sanitizeForTerminal, stripControl } from '../render/text.js';

const CLEAR_LINE = '\r\x1b[K';

export interface DisplayOptions {
  /** Where log lines go (stdout, or stderr when stdout carries --json output). */
  logSink: TextSink;
  /** Draw the in-place status line (only when stdout is a terminal and carries nothing else). */
  statusLine: boolean;
  redrawIntervalMs: number;
}

/**
 * What a person sees while builds are followed: log lines scrolling, and on a terminal a status
 * line at the bottom redrawn in place. Without a terminal it prints plain lines only.
 */
export class FollowDisplay {
  private readonly entries = new Map<string, ProgressEntry>();
  private readonly labels = new Map<string, string | undefined>();
  private readonly startedAt = new Map<string, number>();
  private readonly followStart = Date.now();
  private shown = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly options: DisplayOptions,
  ) {}

  /** Registers a followed build; `label` prefixes its lines when several builds are followed. */
  add(build: BuildView, label: string | undefined): void {
    this.labels.set(build.id, label);
    this.entries.set(build.id, { label, status: build.status, progress: build.progress });
    this.noteStart(build);
  }

  start(): void {
    if (!this.options.statusLine) return;
    this.redraw();
    this.timer = setInterval(() => this.redraw(), this.options.redrawIntervalMs);
    // The ticking clock must not keep the process alive on its own.
    this.timer.unref();
  }

  line(buildId: string, line: LogLineView): void {
    const label = this.labels.get(buildId);
    const prefix = label ? `[${label}] ` : '';
    const text =
      this.options.statusLine || this.io.isTTY ? sanitizeForTerminal(line.text) : stripControl(line.text);
    if (this.shown) this.io.stdout.write(CLEAR_LINE);
    this.shown = false;
    this.options.logSink.write(`${prefix}${text}\n`);
    this.redraw();
  }

  progress(buildId: string, progress: BuildView['progress']): void {
    const entry = this.entries.get(buildId);
    if (entry) entry.progress = progress;
    this.redraw();
  }

  status(build: BuildView): void {
    const entry = this.entries.get(build.id);
    if (entry) {
      entry.status = build.status;
      entry.progress = build.progress;
    }
    this.noteStart(build);
    this.redraw();
  }

  /** Removes the status line so what follows starts on a clean line. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.io.stdout.write(CLEAR_LINE);
    this.shown = false;
  }

  private noteStart(build: BuildView): void {
    const at = build.startedAt === null ? NaN : Date.parse(build.startedAt);
    if (!Number.isNaN(at)) this.startedAt.set(build.id, at);
  }

  private redraw(): void {
    if (!this.options.statusLine || this.entries.size === 0) return;
    // Elapsed since the earliest build started running; before that, since we began following.
    const starts = [...this.startedAt.values()];
    const origin = starts.length > 0 ? Math.min(...starts) : this.followStart;
    // A pseudo-terminal without a window size reports 0 columns: assume the classic 80 then.
    const columns = this.io.columns !== undefined && this.io.columns > 0 ? this.io.columns : 80;
    const text = progressLine(Date.now() - origin, [...this.entries.values()], columns);
    this.io.stdout.write(CLEAR_LINE + text);
    this.shown = true;
  }
}
