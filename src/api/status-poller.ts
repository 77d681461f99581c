import type { BuildStatus } from '../persistence/index.js';

/** What the poller reads: the unfinished builds, as the store has them. */
export interface UnfinishedBuilds {
  list(query: {
    status: readonly BuildStatus[];
    limit: number;
  }): Promise<{ id: string; status: BuildStatus }[]>;
}

const UNFINISHED: readonly BuildStatus[] = ['pending', 'running'];
/** More unfinished builds than this are not watched one by one (events still tell of them). */
const LIMIT = 2000;

/**
 * Polling as the truth behind the live status stream: events are hints, and a hint from another
 * process is lost while the connection that carries it is down. While anyone listens, the
 * unfinished builds are read every `intervalMs`; a build that appeared, changed status or finished
 * since the last read is reported, so a lost hint costs latency, never a stale list.
 */
export class StatusPoller {
  readonly #listeners = new Set<(buildId: string) => void>();
  #timer: NodeJS.Timeout | undefined;
  #known: Map<string, BuildStatus> | undefined;
  #polling = false;

  constructor(
    private readonly builds: UnfinishedBuilds,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Calls `listener` with the id of each build whose status may have changed; returns the unsubscribe. */
  subscribe(listener: (buildId: string) => void): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.poll(), this.intervalMs);
      this.#timer.unref();
      void this.poll(); // the first read only learns what is unfinished now
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#known = undefined;
      }
    };
  }

  /** One read of the unfinished builds (the timer calls it while anyone listens). */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const rows = await this.builds.list({ status: UNFINISHED, limit: LIMIT });
      const now = new Map(rows.map((row) => [row.id, row.status]));
      const before = this.#known;
      // Unsubscribed while reading: nothing to tell, and nothing to remember.
      if (this.#timer === undefined) return;
      this.#known = now;
      if (before === undefined) return;
      for (const id of changedBuilds(before, now)) for (const listener of this.#listeners) listener(id);
    } catch (error) {
      // The database may be down: the next round tries again.
      this.onError(error);
    } finally {
      this.#polling = false;
    }
  }
}

/** Builds that are new, changed status, or are no longer unfinished between two reads. */
export function changedBuilds(
  before: ReadonlyMap<string, BuildStatus>,
  now: ReadonlyMap<string, BuildStatus>,
): string[] {
  const changed: string[] = [];
  for (const [id, status] of now) if (before.get(id) !== status) changed.push(id);
  for (const id of before.keys()) if (!now.has(id)) changed.push(id);
  return changed;
}
