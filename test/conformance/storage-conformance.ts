import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it, type TestContext } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { isKilnError, type KilnError } from '../../src/errors/index.js';
import type { ByteRange, ObjectStorage } from '../../src/cache/index.js';

export type OpenStorage = (t: TestContext) => Promise<ObjectStorage>;

export interface StorageConformanceHooks {
  /**
   * Called after failed, aborted and concurrent writes, once they have settled, to check the
   * backend left no stray data behind (temporary files, pending uploads) beyond what the storage
   * itself shows. Called with the context the storage was opened with.
   */
  assertNoLeftovers?: (t: TestContext) => Promise<void>;
}

/**
 * Registers the tests every ObjectStorage backend must pass (the contract is written out on the
 * interface in src/cache/storage/types.ts). `open(t)` returns an empty storage for that test.
 */
export function runStorageConformance(
  name: string,
  open: OpenStorage,
  hooks: StorageConformanceHooks = {},
): void {
  const noLeftovers = async (t: TestContext): Promise<void> => {
    await hooks.assertNoLeftovers?.(t);
  };

  void describe(`ObjectStorage conformance: ${name}`, () => {
    roundTripTests(open);
    rangeTests(open);
    mutationTests(open);
    listTests(open);
    keyTests(open);
    failedWriteTests(open, noLeftovers);
    concurrencyTests(open, noLeftovers);
  });
}

// --- helpers -------------------------------------------------------------------------------------

const MiB = 1024 * 1024;

/** Yields `data` in `size`-byte slices, yielding to the event loop between them like a socket. */
async function* chunked(data: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) {
    await tick();
    yield data.subarray(offset, offset + size);
  }
}

async function readAll(storage: ObjectStorage, key: string, range?: ByteRange): Promise<Buffer | undefined> {
  const result = await storage.read(key, range);
  return result === undefined ? undefined : await buffer(result.stream);
}

async function listKeys(storage: ObjectStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys;
}

function isValidationError(error: unknown): error is KilnError {
  return isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
}

/** Runs `action` (sync throw or rejection both count) and asserts it fails with KILN_ERR_VALIDATION. */
async function rejectsValidation(action: () => unknown, message?: string): Promise<void> {
  await assert.rejects(
    async () => {
      await action();
    },
    isValidationError,
    message,
  );
}

async function assertNothingVisible(storage: ObjectStorage, key: string): Promise<void> {
  assert.equal(await storage.has(key), undefined);
  assert.equal(await storage.read(key), undefined);
  assert.deepEqual(await listKeys(storage, ''), []);
}

// --- tests ---------------------------------------------------------------------------------------

function roundTripTests(open: OpenStorage): void {
  void describe('round trip', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['an empty object', new Uint8Array(0)],
      ['a small object', new TextEncoder().encode('StorePath: /nix/store/x\n')],
      ['a multi-MiB object from a chunked source', randomBytes(5 * MiB + 123)],
    ];
    for (const [label, data] of cases) {
      it(`stores and returns ${label}`, async (t) => {
        const storage = await open(t);
        const before = Date.now();
        const written = await storage.write('nar/abc.nar.xz', chunked(data));
        assert.equal(written.key, 'nar/abc.nar.xz');
        assert.equal(written.size, data.length);
        const info = await storage.has('nar/abc.nar.xz');
        assert.ok(info);
        assert.equal(info.key, 'nar/abc.nar.xz');
        assert.equal(info.size, data.length);
        assert.ok(info.modifiedAt instanceof Date);
        // Generous bounds: filesystem timestamps may be coarse or slightly behind Date.now().
        assert.ok(Math.abs(info.modifiedAt.getTime() - before) < 60_000);
        const result = await storage.read('nar/abc.nar.xz');
        assert.ok(result);
        assert.equal(result.info.size, data.length);
        assert.deepEqual(result.range, { start: 0, end: data.length - 1 });
        assert.ok(Buffer.from(data).equals(await buffer(result.stream)));
      });
    }

    it('accepts a Readable as the source', async (t) => {
      const storage = await open(t);
      await storage.write('abc.narinfo', Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
      assert.equal((await readAll(storage, 'abc.narinfo'))?.toString(), 'abcd');
    });

    it('reports a missing key as undefined', async (t) => {
      const storage = await open(t);
      assert.equal(await storage.has('nope.narinfo'), undefined);
      assert.equal(await storage.read('nope.narinfo'), undefined);
      assert.equal(await storage.read('nope.narinfo', { start: 5 }), undefined);
      assert.equal(await storage.has('nar/deeper/nope'), undefined);
    });
  });
}

function rangeTests(open: OpenStorage): void {
  void describe('ranges (inclusive end, like HTTP)', () => {
    const data = randomBytes(1000);
    const cases: Array<[string, ByteRange, number, number]> = [
      ['the first byte', { start: 0, end: 0 }, 0, 0],
      ['a middle span', { start: 10, end: 19 }, 10, 19],
      ['a suffix to the end', { start: 990 }, 990, 999],
      ['the last byte', { start: 999 }, 999, 999],
      ['the whole object', { start: 0, end: 999 }, 0, 999],
      ['an end past the object, clamped', { start: 500, end: 5000 }, 500, 999],
    ];
    for (const [label, range, start, end] of cases) {
      it(`returns exactly ${label}`, async (t) => {
        const storage = await open(t);
        await storage.write('log/x.drv', chunked(data, 97));
        const result = await storage.read('log/x.drv', range);
        assert.ok(result);
        assert.equal(result.info.size, 1000); // the object's size, not the span's
        assert.deepEqual(result.range, { start, end });
        assert.ok(data.subarray(start, end + 1).equals(await buffer(result.stream)));
      });
    }

    it('rejects a range starting at or past the end with the size in the details', async (t) => {
      const storage = await open(t);
      await storage.write('log/x.drv', chunked(data));
      for (const start of [1000, 1001, 10_000]) {
        await assert.rejects(storage.read('log/x.drv', { start }), (error: unknown) => {
          assert.ok(isValidationError(error));
          assert.equal(error.details?.size, 1000);
          return true;
        });
      }
      await storage.write('empty', chunked(new Uint8Array(0)));
      await rejectsValidation(() => storage.read('empty', { start: 0 }), 'no range of an empty object');
      assert.equal((await readAll(storage, 'empty'))?.length, 0);
    });

    it('rejects malformed ranges', async (t) => {
      const storage = await open(t);
      await storage.write('log/x.drv', chunked(data));
      for (const range of [
        { start: -1 },
        { start: 5, end: 4 },
        { start: 1.5 },
        { start: 0, end: Number.NaN },
      ])
        await rejectsValidation(() => storage.read('log/x.drv', range), JSON.stringify(range));
    });
  });
}

function mutationTests(open: OpenStorage): void {
  void describe('overwrite and delete', () => {
    it('an overwrite replaces the whole content', async (t) => {
      const storage = await open(t);
      await storage.write('a.narinfo', chunked(randomBytes(3000)));
      const info = await storage.write('a.narinfo', chunked(Buffer.from('short')));
      assert.equal(info.size, 5);
      assert.equal((await storage.has('a.narinfo'))?.size, 5);
      assert.equal((await readAll(storage, 'a.narinfo'))?.toString(), 'short');
      assert.deepEqual(await listKeys(storage, ''), ['a.narinfo']);
    });

    it('delete removes an object and reports whether there was one', async (t) => {
      const storage = await open(t);
      await storage.write('nar/a.nar', chunked(Buffer.from('x')));
      await storage.write('nar/b.nar', chunked(Buffer.from('y')));
      assert.equal(await storage.delete('nar/a.nar'), true);
      assert.equal(await storage.has('nar/a.nar'), undefined);
      assert.equal(await storage.read('nar/a.nar'), undefined);
      assert.equal(await storage.delete('nar/a.nar'), false);
      assert.equal(await storage.delete('never/written'), false);
      assert.deepEqual(await listKeys(storage, ''), ['nar/b.nar']);
      await storage.write('nar/a.nar', chunked(Buffer.from('again')));
      assert.equal((await readAll(storage, 'nar/a.nar'))?.toString(), 'again');
    });

    it('a read started before an overwrite or delete returns the old content in full', async (t) => {
      const storage = await open(t);
      const old = randomBytes(2 * MiB);
      await storage.write('nar/x.nar', chunked(old));
      const pending = await storage.read('nar/x.nar');
      const ranged = await storage.read('nar/x.nar', { start: MiB });
      assert.ok(pending && ranged);
      await storage.write('nar/x.nar', chunked(Buffer.from('new')));
      assert.ok(old.equals(await buffer(pending.stream)));
      await storage.delete('nar/x.nar');
      assert.ok(old.subarray(MiB).equals(await buffer(ranged.stream)));
    });
  });
}

function listTests(open: OpenStorage): void {
  void describe('list', () => {
    const keys = [
      'nix-cache-info',
      'aa.narinfo',
      'ab.narinfo',
      'nar/aa.nar.xz',
      'nar/ab.nar.zst',
      'nar/b/deep/x.nar',
      'nar.txt',
      'nar-x',
      'log/hash-hello-2.12.drv',
      'A-upper',
    ];
    const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

    it('yields objects under a prefix, recursively, in byte order of keys', async (t) => {
      const storage = await open(t);
      for (const [i, key] of keys.entries()) await storage.write(key, chunked(randomBytes(i)));
      const expect = (prefix: string): string[] => keys.filter((k) => k.startsWith(prefix)).sort(byteOrder);
      for (const prefix of [
        '',
        'nar/',
        'nar',
        'nar/a',
        'nar/b/',
        'nar/b/deep/x.nar',
        'a',
        'log/',
        'zz/',
        'nar/c',
      ])
        assert.deepEqual(await listKeys(storage, prefix), expect(prefix), `prefix '${prefix}'`);
    });

    it('yields the size and time of each object', async (t) => {
      const storage = await open(t);
      await storage.write('nar/one', chunked(randomBytes(10)));
      await storage.write('nar/two', chunked(randomBytes(2000)));
      const infos = [];
      for await (const info of storage.list('nar/')) infos.push(info);
      assert.deepEqual(
        infos.map((i) => [i.key, i.size]),
        [
          ['nar/one', 10],
          ['nar/two', 2000],
        ],
      );
      assert.ok(infos.every((i) => i.modifiedAt instanceof Date));
    });

    it('lists nothing in an empty storage or after deleting everything', async (t) => {
      const storage = await open(t);
      assert.deepEqual(await listKeys(storage, ''), []);
      await storage.write('log/a/b', chunked(Buffer.from('x')));
      await storage.delete('log/a/b');
      assert.deepEqual(await listKeys(storage, ''), []);
      assert.deepEqual(await listKeys(storage, 'log/'), []);
    });
  });
}

export const INVALID_KEYS = [
  '',
  '/abs',
  'trailing/',
  'a//b',
  '..',
  '../escape',
  'a/../b',
  '.',
  'a/./b',
  '.hidden',
  'nar/.tmp-1234',
  'sp ace',
  'back\\slash',
  'new\nline',
  'nul\0',
  'perc%20ent',
  'q?uery',
  'h#ash',
  'ünïcode',
  'x'.repeat(1025),
  `${'y'.repeat(256)}/z`,
];

export const VALID_KEYS = [
  'nix-cache-info',
  '0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs.narinfo',
  'nar/1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3.nar.xz',
  'log/7a9b2l2fvlc4j6fhsyh8kxaf61fm8zlg-hello-2.12.1.drv',
  'debuginfo/0123abcd',
  'a_b+c=d',
];

function keyTests(open: OpenStorage): void {
  void describe('keys', () => {
    it('rejects invalid keys in every operation with KILN_ERR_VALIDATION', async (t) => {
      const storage = await open(t);
      for (const key of INVALID_KEYS) {
        const label = JSON.stringify(key.slice(0, 40));
        await rejectsValidation(() => storage.has(key), `has ${label}`);
        await rejectsValidation(() => storage.read(key), `read ${label}`);
        await rejectsValidation(() => storage.write(key, chunked(Buffer.from('x'))), `write ${label}`);
        await rejectsValidation(() => storage.delete(key), `delete ${label}`);
      }
      assert.deepEqual(await listKeys(storage, ''), []);
    });

    it('rejects invalid list prefixes', async (t) => {
      const storage = await open(t);
      for (const prefix of ['/', '/nar', '..', '../', 'nar//', 'nar/../', 'a b', '.tmp'])
        await rejectsValidation(() => listKeys(storage, prefix), `list ${JSON.stringify(prefix)}`);
    });

    it('accepts the keys a Nix binary cache uses', async (t) => {
      const storage = await open(t);
      for (const key of VALID_KEYS) await storage.write(key, chunked(Buffer.from(key)));
      for (const key of VALID_KEYS) assert.equal((await readAll(storage, key))?.toString(), key);
      assert.equal((await listKeys(storage, '')).length, VALID_KEYS.length);
    });
  });
}

type Check = (t: TestContext) => Promise<void>;

function failedWriteTests(open: OpenStorage, noLeftovers: Check): void {
  void describe('failed writes leave nothing visible', () => {
    async function* failingMidway(): AsyncGenerator<Uint8Array> {
      yield* chunked(randomBytes(MiB));
      throw new Error('upstream connection reset');
    }

    it('a source that errors midway', async (t) => {
      const storage = await open(t);
      await assert.rejects(storage.write('nar/x.nar', failingMidway()), /upstream connection reset/);
      await assertNothingVisible(storage, 'nar/x.nar');
      await noLeftovers(t);
    });

    it('a Readable source that is destroyed midway', async (t) => {
      const storage = await open(t);
      const source = new Readable({ read() {} });
      source.push(randomBytes(1000));
      setTimeout(() => source.destroy(new Error('socket hang up')), 20);
      await assert.rejects(storage.write('x.narinfo', source), /socket hang up/);
      await assertNothingVisible(storage, 'x.narinfo');
      await noLeftovers(t);
    });

    it('a failed overwrite keeps the previous object intact', async (t) => {
      const storage = await open(t);
      const old = randomBytes(300_000);
      await storage.write('nar/x.nar', chunked(old));
      await assert.rejects(storage.write('nar/x.nar', failingMidway()));
      assert.ok(old.equals((await readAll(storage, 'nar/x.nar')) ?? Buffer.alloc(0)));
      assert.deepEqual(await listKeys(storage, ''), ['nar/x.nar']);
      await noLeftovers(t);
    });

    it('a write aborted while its source stalls', async (t) => {
      const storage = await open(t);
      const controller = new AbortController();
      let started!: () => void;
      const firstChunkTaken = new Promise<void>((done) => (started = done));
      async function* stalling(): AsyncGenerator<Uint8Array> {
        yield randomBytes(64 * 1024);
        started();
        await new Promise(() => undefined); // never resolves: a peer that went silent
      }
      const write = storage.write('nar/x.nar', stalling(), { signal: controller.signal });
      await firstChunkTaken;
      await tick();
      controller.abort();
      await assert.rejects(write);
      await assertNothingVisible(storage, 'nar/x.nar');
      await noLeftovers(t);
    });

    it('a write aborted after its source finished but before it was committed, or before it began', async (t) => {
      const storage = await open(t);
      const controller = new AbortController();
      async function* abortingAtEnd(): AsyncGenerator<Uint8Array> {
        yield* chunked(randomBytes(100_000));
        controller.abort();
      }
      await assert.rejects(storage.write('a/x', abortingAtEnd(), { signal: controller.signal }));
      await assert.rejects(storage.write('a/y', chunked(Buffer.from('x')), { signal: controller.signal }));
      assert.equal(await storage.has('a/y'), undefined);
      await assertNothingVisible(storage, 'a/x');
      await noLeftovers(t);
    });

    it('an aborted overwrite keeps the previous object intact', async (t) => {
      const storage = await open(t);
      await storage.write('k', chunked(Buffer.from('old')));
      const controller = new AbortController();
      async function* abortingMidway(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('new new new');
        await tick();
        controller.abort();
        yield Buffer.from('more');
      }
      await assert.rejects(storage.write('k', abortingMidway(), { signal: controller.signal }));
      assert.equal((await readAll(storage, 'k'))?.toString(), 'old');
      await noLeftovers(t);
    });
  });
}

function concurrencyTests(open: OpenStorage, noLeftovers: Check): void {
  void describe('concurrency', () => {
    it('concurrent writes to one key end with one complete content', async (t) => {
      const storage = await open(t);
      const contents = [0, 1, 2, 3, 4].map((i) => Buffer.alloc(MiB + i * 4099, i + 1));
      // Different chunk sizes interleave the writers differently.
      const infos = await Promise.all(
        contents.map((c, i) => storage.write('nar/race.nar', chunked(c, 16 * 1024 * (i + 1)))),
      );
      assert.deepEqual(
        infos.map((i) => i.size),
        contents.map((c) => c.length),
      );
      const final = await readAll(storage, 'nar/race.nar');
      assert.ok(final);
      assert.ok(
        contents.some((c) => c.equals(final)),
        'the stored object is one of the written contents, whole',
      );
      assert.equal((await storage.has('nar/race.nar'))?.size, final.length);
      assert.deepEqual(await listKeys(storage, ''), ['nar/race.nar']);
      await noLeftovers(t);
    });

    for (const withOld of [false, true]) {
      it(`reads during a write see ${withOld ? 'the old or the new' : 'nothing or the'} complete object`, async (t) => {
        const storage = await open(t);
        const old = Buffer.alloc(200_000, 0x6f);
        const next = randomBytes(2 * MiB);
        if (withOld) await storage.write('nar/x.nar', chunked(old));
        const seen: Array<Buffer | undefined> = [];
        let done = false;
        const reader = (async () => {
          while (!done) {
            seen.push(await readAll(storage, 'nar/x.nar'));
            const info = await storage.has('nar/x.nar');
            assert.ok(info === undefined ? !withOld : [old.length, next.length].includes(info.size));
            await tick();
          }
        })();
        await storage.write('nar/x.nar', chunked(next, 32 * 1024));
        done = true;
        await reader;
        assert.ok(seen.length > 1, 'the reader ran during the write');
        for (const content of seen) {
          if (content === undefined) assert.ok(!withOld, 'an existing object never disappears');
          else assert.ok(content.equals(next) || (withOld && content.equals(old)), 'a complete object');
        }
        assert.ok(next.equals((await readAll(storage, 'nar/x.nar')) ?? Buffer.alloc(0)));
        await noLeftovers(t);
      });
    }
  });
}
