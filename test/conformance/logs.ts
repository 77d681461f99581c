import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LogLineInput } from '../../src/persistence/types.js';
import { insertBuilds, newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

const NO_CAP = 64 * 1024 * 1024;

function lines(count: number, prefix = 'line'): LogLineInput[] {
  const streams = ['stdout', 'stderr', 'build', 'kiln'] as const;
  return Array.from({ length: count }, (_, i) => ({
    ts: 1000 + i,
    stream: streams[i % streams.length] ?? 'stdout',
    text: `${prefix} ${i}`,
  }));
}

const withoutSeq = ({ ts, stream, text }: LogLineInput): LogLineInput => ({ ts, stream, text });

export function logTests(storeTest: StoreTest): void {
  void describe('logs', () => {
    storeTest(
      'append then read returns the lines in order with increasing positive seqs',
      async ({ store }) => {
        const build = await store.builds.insert(newBuild());
        const input: LogLineInput[] = [
          { ts: 5, stream: 'stdout', text: 'hello' },
          { ts: 5, stream: 'stderr', text: '' },
          { ts: 6, stream: 'build', text: 'ünïcödé 日本 🙂 \t tabs and "quotes"' },
          { ts: 4, stream: 'kiln', text: 'timestamps are stored as given' },
        ];
        await store.logs.append(build.id, input, NO_CAP);
        const read = await store.logs.read(build.id, 0, 100);
        assert.deepEqual(read.map(withoutSeq), input);
        let previous = 0;
        for (const line of read) {
          assert.ok(Number.isInteger(line.seq) && line.seq > previous, `seq ${line.seq} after ${previous}`);
          previous = line.seq;
        }
      },
    );

    storeTest('later appends continue after earlier ones', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const first = lines(3, 'first');
      const second = lines(4, 'second');
      await store.logs.append(build.id, first, NO_CAP);
      await store.logs.append(build.id, second, NO_CAP);
      const read = await store.logs.read(build.id, 0, 100);
      assert.deepEqual(read.map(withoutSeq), [...first, ...second]);
      assert.deepEqual(
        read.map((line) => line.seq),
        [...read.map((line) => line.seq)].sort((a, b) => a - b),
      );
      assert.equal(new Set(read.map((line) => line.seq)).size, read.length);
    });

    storeTest('read pages with afterSeq and limit', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const input = lines(10);
      await store.logs.append(build.id, input, NO_CAP);
      const pages: string[][] = [];
      let afterSeq = 0;
      // Bounded, so that a backend whose cursor does not advance fails instead of hanging.
      for (let reads = 0; reads < 10; reads++) {
        const page = await store.logs.read(build.id, afterSeq, 4);
        if (page.length === 0) break;
        pages.push(page.map((line) => line.text));
        afterSeq = page.at(-1)?.seq ?? afterSeq;
      }
      assert.deepEqual(
        pages.map((page) => page.length),
        [4, 4, 2],
      );
      assert.deepEqual(
        pages.flat(),
        input.map((line) => line.text),
      );
      assert.deepEqual(await store.logs.read(build.id, afterSeq, 4), []);
    });

    storeTest('tail returns the last lines in order', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const input = lines(10);
      await store.logs.append(build.id, input, NO_CAP);
      assert.deepEqual((await store.logs.tail(build.id, 3)).map(withoutSeq), input.slice(7));
      assert.deepEqual((await store.logs.tail(build.id, 50)).map(withoutSeq), input);
      assert.deepEqual(await store.logs.tail(build.id, 50), await store.logs.read(build.id, 0, 50));
      assert.deepEqual(await store.logs.tail(build.id, 0), []);
    });

    storeTest('logs of different builds are separate', async ({ store }) => {
      const [a, b] = await insertBuilds(store, [newBuild(), newBuild()]);
      assert.ok(a && b);
      await store.logs.append(a.id, lines(2, 'a'), NO_CAP);
      await store.logs.append(b.id, lines(3, 'b'), NO_CAP);
      await store.logs.append(a.id, lines(1, 'a2'), NO_CAP);
      assert.deepEqual(
        (await store.logs.read(a.id, 0, 100)).map((line) => line.text),
        ['a 0', 'a 1', 'a2 0'],
      );
      assert.deepEqual(
        (await store.logs.tail(b.id, 100)).map((line) => line.text),
        ['b 0', 'b 1', 'b 2'],
      );
    });

    storeTest('an empty append changes nothing; an unknown build has no log', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      await store.logs.append(build.id, [], NO_CAP);
      assert.deepEqual(await store.logs.read(build.id, 0, 100), []);
      assert.deepEqual(await store.logs.read('no-such-build', 0, 100), []);
      assert.deepEqual(await store.logs.tail('no-such-build', 100), []);
    });

    storeTest('appending to a build that does not exist rejects and stores nothing', async ({ store }) => {
      await assert.rejects(store.logs.append('no-such-build', lines(2), NO_CAP));
      assert.deepEqual(await store.logs.read('no-such-build', 0, 100), []);
    });

    storeTest('appended lines are committed: a second store sees them at once', async ({ store, open }) => {
      const build = await store.builds.insert(newBuild());
      const other = await open();
      const input = lines(5);
      await store.logs.append(build.id, input, NO_CAP);
      assert.deepEqual((await other.logs.read(build.id, 0, 100)).map(withoutSeq), input);
      await store.logs.append(build.id, lines(1, 'more'), NO_CAP);
      assert.deepEqual(
        (await other.logs.tail(build.id, 1)).map((line) => line.text),
        ['more 0'],
      );
      await store.close();
      assert.equal((await other.logs.read(build.id, 0, 100)).length, 6);
    });
  });
}
