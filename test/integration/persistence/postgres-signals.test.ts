/**
 * Cross-node signals on a real PostgreSQL server: what one store publishes reaches the subscribers
 * of another store on the same database (another kiln process), and the LISTEN connection comes back
 * by itself after the server restarts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KilnError } from '../../../src/errors/index.js';
import { openPostgresStore, type PostgresStore } from '../../../src/persistence/postgres/store.js';
import { MAX_SIGNAL_PAYLOAD_BYTES } from '../../../src/persistence/types.js';
import { waitFor } from '../../helpers/nix.js';
import { postgresUnavailableReason, sharedPostgres, type PostgresServer } from '../../helpers/postgres.js';

const unavailable = postgresUnavailableReason();

void describe(
  `PostgreSQL signals (LISTEN/NOTIFY)${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { skip: unavailable ?? false },
  () => {
    let server: PostgresServer;
    let url: string;
    const stores: PostgresStore[] = [];
    const open = (): PostgresStore => {
      const store = openPostgresStore(url, { signals: { minBackoffMs: 50, maxBackoffMs: 500 } });
      stores.push(store);
      return store;
    };

    before(async () => {
      server = await sharedPostgres();
      url = await server.createDatabase();
    });
    after(async () => {
      for (const store of stores) await store.close();
    });

    void it('a payload published by one store reaches another store subscribed to the channel', async () => {
      const publisher = open();
      const listener = open();
      const heard: string[] = [];
      const other: string[] = [];
      listener.signals.subscribe('kiln_test_a', (payload) => heard.push(payload));
      listener.signals.subscribe('kiln_test_other', (payload) => other.push(payload));
      // The LISTEN connection opens in the background: publish until it hears.
      const payload = JSON.stringify({ buildId: 'b-1', status: 'running', text: 'é ✓' });
      await waitFor(
        async () => {
          await publisher.signals.publish('kiln_test_a', payload);
          return heard.length > 0;
        },
        { what: 'the subscriber to hear the first signal' },
      );
      assert.equal(heard[0], payload, 'the payload arrives unchanged (UTF-8 included)');
      assert.deepEqual(other, [], 'another channel hears nothing');

      // Once listening, every signal arrives, in order (late warm-up copies aside).
      for (const n of [1, 2, 3]) await publisher.signals.publish('kiln_test_a', `n${n}`);
      const numbered = (): string[] => heard.filter((p) => /^n\d$/.test(p));
      await waitFor(() => Promise.resolve(numbered().length >= 3), { what: 'three signals' });
      assert.deepEqual(numbered(), ['n1', 'n2', 'n3']);
    });

    void it('refuses payloads over the NOTIFY limit and channel names that are not identifiers', async () => {
      const store = open();
      await assert.rejects(
        store.signals.publish('kiln_test_a', 'x'.repeat(MAX_SIGNAL_PAYLOAD_BYTES + 1)),
        (error: unknown) => error instanceof KilnError && error.code === 'KILN_ERR_VALIDATION',
      );
      await store.signals.publish('kiln_test_a', 'x'.repeat(MAX_SIGNAL_PAYLOAD_BYTES));
      assert.throws(
        () => store.signals.subscribe('bad"; DROP TABLE builds; --', () => undefined),
        (error: unknown) => error instanceof KilnError && error.code === 'KILN_ERR_VALIDATION',
      );
    });

    void it('an unsubscribed listener hears nothing more', async () => {
      const publisher = open();
      const listener = open();
      const kept: string[] = [];
      const dropped: string[] = [];
      listener.signals.subscribe('kiln_test_c', (payload) => kept.push(payload));
      const unsubscribe = listener.signals.subscribe('kiln_test_c', (payload) => dropped.push(payload));
      await waitFor(
        async () => {
          await publisher.signals.publish('kiln_test_c', 'warm-up');
          return kept.length > 0;
        },
        { what: 'the subscriber to listen' },
      );
      unsubscribe();
      const before = dropped.length;
      await publisher.signals.publish('kiln_test_c', 'after');
      await waitFor(() => Promise.resolve(kept.includes('after')), { what: 'the kept listener to hear' });
      assert.equal(dropped.length, before);
    });

    void it('the subscriber hears again after the server was stopped and started', async () => {
      const publisher = open();
      const listener = open();
      const heard: string[] = [];
      listener.signals.subscribe('kiln_test_b', (payload) => heard.push(payload));
      await waitFor(
        async () => {
          await publisher.signals.publish('kiln_test_b', 'before');
          return heard.includes('before');
        },
        { what: 'the subscriber to hear before the restart' },
      );

      await server.stop();
      // While the server is down publishing fails with the coded outage error, not a crash.
      await assert.rejects(
        publisher.signals.publish('kiln_test_b', 'during'),
        (error: unknown) => error instanceof KilnError && error.code === 'KILN_ERR_UNAVAILABLE',
      );
      await server.start();

      // The listener reconnects on its own and LISTENs again; no new subscribe call.
      await waitFor(
        async () => {
          await publisher.signals.publish('kiln_test_b', 'after').catch(() => undefined);
          return heard.includes('after');
        },
        { timeoutMs: 30_000, what: 'the subscriber to hear after the restart' },
      );
      assert.ok(!heard.includes('during'));
    });
  },
);
