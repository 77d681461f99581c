/**
 * Cross-node signals: a latency hint between kiln processes that share one database ("look again
 * now"), never the truth. Whatever a subscriber hears it re-reads from the store, and every reader
 * also polls, so a signal lost in an outage only costs latency. Backends where every process is on
 * one machine and one file (SQLite) offer none.
 */
export interface NodeSignals {
  /**
   * Sends `payload` (at most MAX_SIGNAL_PAYLOAD_BYTES of UTF-8) to every subscriber of `channel` in
   * every process, this one included. Channel names are lower-case identifiers.
   */
  publish(channel: string, payload: string): Promise<void>;
  /**
   * Calls `listener` with each payload published on `channel` from now on; returns the unsubscribe
   * function. Signals published while the connection is down are lost; it reconnects on its own.
   */
  subscribe(channel: string, listener: (payload: string) => void): () => void;
}

/** PostgreSQL's NOTIFY limit is 8000 bytes; one byte of room for the terminator. */
export const MAX_SIGNAL_PAYLOAD_BYTES = 7999;

/** Lower-case identifiers: safe to quote into LISTEN and the same on every backend. */
export const SIGNAL_CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
