import pg from 'pg';
import { KilnError } from '../../errors/index.js';
import { MAX_SIGNAL_PAYLOAD_BYTES, SIGNAL_CHANNEL_PATTERN, type NodeSignals } from '../signal-types.js';
import type { PgDb } from './db.js';

export interface PgSignalsOptions {
  /** First reconnect delay after the LISTEN connection is lost; doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * NodeSignals on LISTEN/NOTIFY. Publishing is `pg_notify` on the pool; hearing uses one dedicated
 * connection (a pooled one cannot LISTEN: it is handed to other queries), opened on the first
 * subscription. When that connection is lost (server restart, network) it is opened again with
 * exponential backoff and LISTENs on every channel again; what was published in between is lost,
 * which is acceptable for hints (readers poll).
 */
export class PgSignals implements NodeSignals {
  readonly #listeners = new Map<string, Set<(payload: string) => void>>();
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  #backoffMs: number;
  #client: pg.Client | undefined;
  #connecting = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly db: PgDb,
    options: PgSignalsOptions = {},
  ) {
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.#backoffMs = this.#minBackoffMs;
  }

  async publish(channel: string, payload: string): Promise<void> {
    checkChannel(channel);
    const bytes = Buffer.byteLength(payload, 'utf8');
    if (bytes > MAX_SIGNAL_PAYLOAD_BYTES)
      throw new KilnError('KILN_ERR_VALIDATION', `signal payload is ${bytes} bytes, over the limit`, {
        maxBytes: MAX_SIGNAL_PAYLOAD_BYTES,
      });
    await this.db.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  subscribe(channel: string, listener: (payload: string) => void): () => void {
    checkChannel(channel);
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
      // A connection that is up LISTENs now; one being opened LISTENs on every channel it has.
      const client = this.#client;
      if (client) client.query(`LISTEN "${channel}"`).catch(() => this.#lost(client));
    }
    set.add(listener);
    this.#ensureConnected();
    return () => {
      set.delete(listener);
    };
  }

  /** Closes the LISTEN connection for good. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureConnected(): void {
    if (this.#closed || this.#client || this.#connecting || this.#retryTimer) return;
    this.#connecting = true;
    const client = new pg.Client({ connectionString: this.url });
    let gone = false;
    const lost = (): void => {
      if (gone) return;
      gone = true;
      this.#lost(client);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      for (const listener of this.#listeners.get(message.channel) ?? []) {
        try {
          listener(message.payload ?? '');
        } catch {
          // One subscriber's fault must not keep the others from hearing.
        }
      }
    });
    const listened = new Set<string>();
    const listen = async (): Promise<void> => {
      await client.connect();
      for (const channel of this.#listeners.keys()) {
        await client.query(`LISTEN "${channel}"`);
        listened.add(channel);
      }
    };
    listen().then(
      () => {
        this.#connecting = false;
        if (this.#closed || gone) {
          void client.end().catch(() => undefined);
          if (!this.#closed) this.#scheduleReconnect();
          return;
        }
        this.#client = client;
        this.#backoffMs = this.#minBackoffMs;
        // Channels first subscribed after the loop above had passed them.
        for (const channel of this.#listeners.keys())
          if (!listened.has(channel)) client.query(`LISTEN "${channel}"`).catch(lost);
      },
      () => {
        this.#connecting = false;
        gone = true;
        void client.end().catch(() => undefined);
        this.#scheduleReconnect();
      },
    );
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return; // still connecting: its own failure path reconnects
    this.#client = undefined;
    void client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#ensureConnected();
    }, delay);
    // Hints must not keep a process alive that has nothing else to do.
    this.#retryTimer.unref();
  }
}

function checkChannel(channel: string): void {
  if (!SIGNAL_CHANNEL_PATTERN.test(channel))
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `signal channel ${JSON.stringify(channel)} is not an identifier`,
    );
}
