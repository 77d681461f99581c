import type { BuildEvent } from '../builds/index.js';
import type { LogLine } from '../persistence/index.js';
import { logLineView } from './views.js';

/** Lines read from the store at once, for the live edge and for each catch-up. */
const PAGE = 2000;

/** What the fan-out reads: the store is the truth; events only say "look again now". */
export interface FollowSource<B> {
  get(buildId: string): Promise<B>;
  readLog(buildId: string, afterSeq: number, limit: number): Promise<{ lines: readonly LogLine[] }>;
  subscribe(buildId: string, listener: (event: BuildEvent) => void): () => void;
  status(build: B): string;
  terminal(build: B): boolean;
  /** The JSON sent with `status` and `end` events. */
  view(build: B): unknown;
}

/** One client's end of a stream (an HTTP response in production). */
export interface FollowerSink {
  /** Queues a chunk; false when the client's buffer is full (it is skipped until it drains). */
  write(chunk: string): boolean;
  onDrain(listener: () => void): void;
  /** Ends the stream (after the final `end` event, or on an error). */
  end(): void;
}

export interface FollowOptions {
  /** Lines with seq <= afterSeq are not sent. */
  afterSeq: number;
  /** The status the client was last told (sent by the caller in the first event). */
  status: string;
}

interface Follower {
  sink: FollowerSink;
  cursor: number;
  status: string;
  paused: boolean;
  closed: boolean;
}

export function lineEvent(line: LogLine): string {
  return `event: line\nid: ${line.seq}\ndata: ${JSON.stringify(logLineView(line))}\n\n`;
}

/** The chunk a follower at `cursor` still needs out of a batch of events ordered by seq. */
function sliceAfter(batch: readonly { seq: number; event: string }[], cursor: number): string {
  let out = '';
  for (const item of batch) if (item.seq > cursor) out += item.event;
  return out;
}

/**
 * All followers of one build: one loop reads each new page of lines from the store once,
 * serialises it once and writes it to every follower that is caught up. A follower that is behind
 * (joined with older history, or whose socket was full) is caught up from the store, a page per
 * turn, grouped with others at the same position, so it never holds up the live edge.
 */
class Channel<B> {
  readonly followers = new Set<Follower>();
  /** Every line up to here has been read from the store and sent to caught-up followers. */
  #cursor: number;
  #final: B | undefined;
  /** The record as last read; read again on status and progress events and on every poll. */
  #build: B | undefined;
  #buildStale = true;
  #dirty = true;
  #wake: (() => void) | undefined;
  readonly #unsubscribe: () => void;
  readonly #keepAlive: NodeJS.Timeout;

  constructor(
    readonly buildId: string,
    readonly source: FollowSource<B>,
    readonly pollMs: number,
    keepAliveMs: number,
    first: Follower,
    readonly onError: (error: unknown) => void,
    readonly onIdle: () => void,
  ) {
    this.#cursor = first.cursor;
    this.followers.add(first);
    this.#unsubscribe = source.subscribe(buildId, (event) => {
      if (event.type === 'progress') {
        const chunk = `event: progress\ndata: ${JSON.stringify(event.progress)}\n\n`;
        for (const f of this.followers) if (!f.paused) this.#write(f, chunk);
      }
      // A new line does not change the record: only other events make it worth reading again.
      if (event.type !== 'log') this.#buildStale = true;
      this.poke();
    });
    this.#keepAlive = setInterval(() => {
      for (const f of this.followers) if (!f.paused) this.#write(f, ': ping\n\n');
    }, keepAliveMs);
    this.#keepAlive.unref();
    void this.#run();
  }

  poke(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  add(follower: Follower): void {
    this.followers.add(follower);
    this.poke();
  }

  remove(follower: Follower): void {
    follower.closed = true;
    this.followers.delete(follower);
    if (this.followers.size === 0) this.poke(); // lets the loop end and free the subscription
  }

  #write(f: Follower, chunk: string): void {
    if (f.closed || chunk === '') return;
    if (!f.sink.write(chunk)) {
      f.paused = true;
      f.sink.onDrain(() => {
        f.paused = false;
        this.poke();
      });
    }
  }

  /** Sends lines (cursor, last] to every caught-up follower; the rest catch up from the store. */
  #broadcast(lines: readonly LogLine[]): void {
    const from = this.#cursor;
    const to = lines[lines.length - 1]!.seq;
    const batch = lines.map((line) => ({ seq: line.seq, event: lineEvent(line) }));
    const whole = batch.map((b) => b.event).join('');
    for (const f of this.followers) {
      if (f.paused || f.cursor < from || f.cursor >= to) continue;
      this.#write(f, f.cursor === from ? whole : sliceAfter(batch, f.cursor));
      f.cursor = to;
    }
    this.#cursor = to;
  }

  /** One page for each group of followers that are behind, read once per position. */
  async #catchUp(): Promise<void> {
    const behind = new Map<number, Follower[]>();
    for (const f of this.followers) {
      if (f.paused || f.cursor >= this.#cursor) continue;
      behind.set(f.cursor, [...(behind.get(f.cursor) ?? []), f]);
    }
    for (const [cursor, group] of behind) {
      const limit = Math.min(PAGE, this.#cursor - cursor);
      const { lines } = await this.source.readLog(this.buildId, cursor, limit);
      const upTo = lines.filter((line) => line.seq <= this.#cursor);
      // Fewer than asked for: everything up to the edge was read (a capped log has gaps).
      const last = upTo.length === limit ? upTo[limit - 1]!.seq : this.#cursor;
      const chunk = upTo.map(lineEvent).join('');
      for (const f of group) {
        if (f.closed || f.paused || f.cursor !== cursor) continue;
        this.#write(f, chunk);
        f.cursor = last;
      }
      if (upTo.length === limit) this.#dirty = true; // more to catch up: no sleeping
    }
  }

  async #readNew(): Promise<void> {
    let lines: readonly LogLine[];
    do {
      ({ lines } = await this.source.readLog(this.buildId, this.#cursor, PAGE));
      if (lines.length > 0) this.#broadcast(lines);
    } while (lines.length === PAGE && this.followers.size > 0);
  }

  /** Status changes to caught-up followers; at the end, the `end` event to those with every line. */
  #tell(build: B): void {
    const status = this.source.status(build);
    const final = this.source.terminal(build);
    let data: string | undefined;
    for (const f of [...this.followers]) {
      if (f.paused || f.cursor < this.#cursor) continue;
      data ??= JSON.stringify(this.source.view(build));
      if (f.status !== status) {
        this.#write(f, `event: status\ndata: ${data}\n\n`);
        f.status = status;
      }
      if (final && !f.paused) {
        this.#write(f, `event: end\ndata: ${data}\n\n`);
        this.remove(f);
        f.sink.end();
      }
    }
  }

  async #run(): Promise<void> {
    try {
      while (this.followers.size > 0) {
        this.#dirty = false;
        await this.#catchUp();
        await this.#readNew();
        let build = this.#final;
        if (!build) {
          if (this.#buildStale || !this.#build) {
            this.#buildStale = false;
            this.#build = await this.source.get(this.buildId);
          }
          build = this.#build;
          // Lines are committed before the final status; read once more so none is left behind.
          if (this.source.terminal(build)) {
            this.#final = build;
            await this.#readNew();
          }
        }
        this.#tell(build);
        if (!this.#dirty && this.followers.size > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              this.#buildStale = true; // nothing said anything for a while: check the store
              resolve();
            }, this.pollMs);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#wake = undefined;
        }
      }
    } catch (error) {
      this.onError(error);
      for (const f of [...this.followers]) {
        this.remove(f);
        f.sink.end();
      }
    } finally {
      clearInterval(this.#keepAlive);
      this.#unsubscribe();
      this.onIdle();
    }
  }
}

/**
 * Live build logs for many followers: one reader per followed build, shared by all its followers,
 * instead of each follower re-reading the store on every hint. Followers get every stored line
 * after their position, in order, then the final `end` event; a slow follower is skipped while its
 * socket is full and caught up from the store afterwards.
 */
export class LogFanout<B> {
  readonly #channels = new Map<string, Channel<B>>();

  constructor(
    private readonly source: FollowSource<B>,
    private readonly options: { pollMs: number; keepAliveMs: number; onError(error: unknown): void },
  ) {}

  /** Starts sending `buildId`'s log to `sink`; returns the function to call when the client leaves. */
  follow(buildId: string, sink: FollowerSink, options: FollowOptions): () => void {
    const follower: Follower = {
      sink,
      cursor: options.afterSeq,
      status: options.status,
      paused: false,
      closed: false,
    };
    let channel = this.#channels.get(buildId);
    if (channel) {
      channel.add(follower);
    } else {
      const idle = (): void => {
        if (this.#channels.get(buildId) === channel) this.#channels.delete(buildId);
      };
      channel = new Channel(
        buildId,
        this.source,
        this.options.pollMs,
        this.options.keepAliveMs,
        follower,
        (error) => this.options.onError(error),
        idle,
      );
      this.#channels.set(buildId, channel);
    }
    const joined = channel;
    return () => joined.remove(follower);
  }

  /** Ends every stream without an `end` event (the server is stopping); clients reconnect later. */
  close(): void {
    for (const channel of this.#channels.values()) {
      for (const f of [...channel.followers]) {
        channel.remove(f);
        f.sink.end();
      }
    }
  }

  /** Followed builds and followers now: what is held in memory (for tests and metrics). */
  size(): { builds: number; followers: number } {
    let followers = 0;
    for (const channel of this.#channels.values()) followers += channel.followers.size;
    return { builds: this.#channels.size, followers };
  }
}
