import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LogLine, LogLineInput, Store } from '../../src/persistence/types.js';
import { newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

/**
 * The cap, stated on the whole log so that it does not depend on how lines were batched: while
 * the log fits, everything is kept. Once it does not, what is kept is the head (the longest prefix
 * within half the cap), one `kiln` marker saying how many lines and bytes are missing, and the tail
 * (the longest suffix that fits in what the head leaves). Written independently of any backend.
 */
interface ExpectedLog {
  head: LogLineInput[];
  dropped: { lines: number; bytes: number } | null;
  tail: LogLineInput[];
}

const byteLength = (line: LogLineInput): number => Buffer.byteLength(line.text, 'utf8');
const sumBytes = (lines: readonly LogLineInput[]): number =>
  lines.reduce((sum, line) => sum + byteLength(line), 0);

function expectedLog(all: readonly LogLineInput[], cap: number): ExpectedLog {
  if (sumBytes(all) <= cap) return { head: [...all], dropped: null, tail: [] };
  let headCount = 0;
  let headBytes = 0;
  for (const line of all) {
    if (headBytes + byteLength(line) > Math.floor(cap / 2)) break;
    headBytes += byteLength(line);
    headCount += 1;
  }
  const rest = all.slice(headCount);
  let tailStart = rest.length;
  let tailBytes = 0;
  while (tailStart > 0) {
    const previous = rest[tailStart - 1];
    if (!previous || headBytes + tailBytes + byteLength(previous) > cap) break;
    tailBytes += byteLength(previous);
    tailStart -= 1;
  }
  const dropped = rest.slice(0, tailStart);
  return {
    head: all.slice(0, headCount),
    dropped: { lines: dropped.length, bytes: sumBytes(dropped) },
    tail: rest.slice(tailStart),
  };
}

const MARKER = /dropped/;
const MARKER_COUNTS = /(\d+) lines? \((\d+) bytes?\)/;

const withoutSeq = ({ ts, stream, text }: LogLineInput): LogLineInput => ({ ts, stream, text });

/**
 * Checks the stored log against the model, and that every kept line keeps the seq it was first
 * seen with (readers page with seq cursors). `seenSeqs` maps line text (unique in these tests) to seq.
 */
export async function assertCapped(
  store: Store,
  buildId: string,
  all: readonly LogLineInput[],
  cap: number,
  seenSeqs: Map<string, number>,
): Promise<void> {
  const stored = await store.logs.read(buildId, 0, all.length + 10);
  assert.deepEqual(await store.logs.tail(buildId, all.length + 10), stored, 'tail agrees with read');
  for (let i = 1; i < stored.length; i++) {
    const [previous, current] = [stored[i - 1], stored[i]];
    assert.ok(previous && current && previous.seq < current.seq, 'seqs increase');
  }

  const expected = expectedLog(all, cap);
  if (!expected.dropped) {
    assert.deepEqual(stored.map(withoutSeq), all);
  } else {
    const head = stored.slice(0, expected.head.length);
    const marker: LogLine | undefined = stored[expected.head.length];
    const tail = stored.slice(expected.head.length + 1);
    assert.deepEqual(head.map(withoutSeq), expected.head, 'head');
    assert.deepEqual(tail.map(withoutSeq), expected.tail, 'tail');
    assert.ok(marker, 'a marker line');
    assert.equal(marker.stream, 'kiln');
    assert.match(marker.text, MARKER);
    const counts = MARKER_COUNTS.exec(marker.text);
    assert.ok(counts, `marker "${marker.text}" gives lines and bytes`);
    assert.deepEqual(
      [Number(counts[1]), Number(counts[2])],
      [expected.dropped.lines, expected.dropped.bytes],
    );
    assert.ok(sumBytes([...head, ...tail]) <= cap, 'stored bytes within the cap, marker aside');
  }
  const markers = stored.filter((line) => line.stream === 'kiln' && MARKER.test(line.text));
  assert.ok(markers.length <= 1, 'at most one marker');
  for (const line of stored) {
    if (markers.includes(line)) continue;
    const seen = seenSeqs.get(line.text);
    if (seen !== undefined) assert.equal(line.seq, seen, `"${line.text}" keeps its seq`);
    seenSeqs.set(line.text, line.seq);
  }
}

/** A small deterministic generator, so that failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines of 1- to 4-byte characters, mostly short, some empty, a few larger than the cap. */
function generateLines(count: number, next: () => number, cap: number): LogLineInput[] {
  const characters = ['a', 'é', '日', '🙂'];
  const streams = ['stdout', 'stderr', 'build'] as const;
  return Array.from({ length: count }, (_, i) => {
    const roll = next();
    const length = roll < 0.05 ? 0 : roll < 0.08 ? cap : Math.floor(next() * 40);
    let filler = '';
    for (let c = 0; c < length; c++) filler += characters[Math.floor(next() * characters.length)] ?? 'a';
    return { ts: 10_000 + i, stream: streams[i % streams.length] ?? 'stdout', text: `#${i} ${filler}` };
  });
}

export function logCapTests(storeTest: StoreTest): void {
  void describe('logs: the cap', () => {
    storeTest('a log that fits is kept whole, exactly at the cap included', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const input = ['12345', '67890'].map((text, i) => ({ ts: i, stream: 'stdout' as const, text }));
      await store.logs.append(build.id, input, 10);
      assert.deepEqual((await store.logs.read(build.id, 0, 100)).map(withoutSeq), input);
    });

    storeTest('one byte over keeps the head, a marker and the newest lines', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const texts = ['aaaa', 'bbbb', 'cccc', 'ddddd'];
      const input = texts.map((text, i) => ({ ts: i, stream: 'stdout' as const, text }));
      // 17 bytes against a cap of 16: the head is 'aaaa' + 'bbbb' (exactly half), then dropping
      // 'cccc' is enough.
      await store.logs.append(build.id, input, 16);
      const read = await store.logs.read(build.id, 0, 100);
      assert.deepEqual(
        read.map((line) => (line.stream === 'kiln' ? 'MARKER' : line.text)),
        ['aaaa', 'bbbb', 'MARKER', 'ddddd'],
      );
      assert.deepEqual(MARKER_COUNTS.exec(read[2]?.text ?? '')?.slice(1), ['1', '4']);
      const seqs = read.map((line) => line.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
    });

    storeTest('counts bytes of UTF-8, not characters', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      // 9 + 2 bytes (but 5 characters) against a cap of 10: the head (up to 5 bytes) is empty.
      const input = ['日本語', 'ab'].map((text, i) => ({ ts: i, stream: 'stdout' as const, text }));
      await store.logs.append(build.id, input, 10);
      const read = await store.logs.read(build.id, 0, 100);
      assert.equal(read.length, 2);
      assert.equal(read[0]?.stream, 'kiln');
      assert.deepEqual(MARKER_COUNTS.exec(read[0]?.text ?? '')?.slice(1), ['1', '9']);
      assert.deepEqual(read[1] && withoutSeq(read[1]), input[1]);
    });

    storeTest('the single marker is updated as more lines are dropped', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const all: LogLineInput[] = [];
      const seen = new Map<string, number>();
      for (let round = 0; round < 5; round++) {
        const batch = Array.from({ length: 10 }, (_, i) => ({
          ts: round * 100 + i,
          stream: 'stdout' as const,
          text: `round ${round} line ${i} ${'x'.repeat(10)}`,
        }));
        all.push(...batch);
        await store.logs.append(build.id, batch, 300);
        await assertCapped(store, build.id, all, 300, seen);
      }
      const markers = (await store.logs.read(build.id, 0, 1000)).filter((line) => line.stream === 'kiln');
      assert.equal(markers.length, 1);
    });

    storeTest('random lines in random batches always match the model', async ({ store }) => {
      for (const seed of [1, 2, 3]) {
        const next = random(seed);
        const cap = 200 + Math.floor(next() * 800);
        const build = await store.builds.insert(newBuild());
        const pending = generateLines(300, next, cap);
        const appended: LogLineInput[] = [];
        const seen = new Map<string, number>();
        while (pending.length > 0) {
          const batch = pending.splice(0, 1 + Math.floor(next() * 25));
          appended.push(...batch);
          await store.logs.append(build.id, batch, cap);
          await assertCapped(store, build.id, appended, cap, seen);
        }
      }
    });

    storeTest('a line larger than the whole cap is dropped, and the log continues', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      const all: LogLineInput[] = [
        { ts: 1, stream: 'stdout', text: 'start' },
        { ts: 2, stream: 'stdout', text: 'z'.repeat(500) },
      ];
      const seen = new Map<string, number>();
      await store.logs.append(build.id, all, 100);
      await assertCapped(store, build.id, all, 100, seen);
      const after = { ts: 3, stream: 'stdout' as const, text: 'after' };
      all.push(after);
      await store.logs.append(build.id, [after], 100);
      await assertCapped(store, build.id, all, 100, seen);
    });

    storeTest('the cap holds across stores appending to the same log', async ({ store, open }) => {
      const other = await open();
      const build = await store.builds.insert(newBuild());
      const next = random(42);
      const lines = generateLines(200, next, 400);
      const seen = new Map<string, number>();
      const appended: LogLineInput[] = [];
      for (let start = 0; start < lines.length; start += 20) {
        const batch = lines.slice(start, start + 20);
        appended.push(...batch);
        await (start % 40 === 0 ? store : other).logs.append(build.id, batch, 400);
        await assertCapped(start % 40 === 0 ? other : store, build.id, appended, 400, seen);
      }
    });
  });
}
