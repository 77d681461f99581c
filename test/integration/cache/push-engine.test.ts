import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  httpPushTransport,
  nixPushSource,
  parseNarInfo,
  pushClosure,
  type PushProgress,
} from '../../../src/cache/index.js';
import { isKilnError } from '../../../src/errors/index.js';
import { encodeNix32 } from '../../../src/nar/index.js';
import { buildChain, dumpNar } from '../../helpers/closure.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The engine against a small recording server (it only checks what the real warehouse checks
 * about names and order), with the real Nix as the source. The real server is in the e2e test.
 */
interface Recorder {
  url: string;
  server: Server;
  present: Set<string>;
  nars: Map<string, Buffer>;
  narinfos: Map<string, string>;
  /** Hash parts in the order their narinfos arrived. */
  narinfoOrder: string[];
  log: string[];
  /** Answers to force, consumed in order, e.g. 503 once for a NAR PUT. */
  failNext: { match: RegExp; status: number; body: string }[];
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function startRecorder(): Promise<Recorder> {
  const rec: Omit<Recorder, 'url' | 'server'> = {
    present: new Set(),
    nars: new Map(),
    narinfos: new Map(),
    narinfoOrder: [],
    log: [],
    failNext: [],
  };
  const server = createServer((req, res) => {
    void (async () => {
      const data = await body(req);
      const line = `${req.method} ${req.url}`;
      rec.log.push(line);
      const answer = (status: number, text: string): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      };
      const forced = rec.failNext.findIndex((f) => f.match.test(line));
      if (forced >= 0) {
        const [f] = rec.failNext.splice(forced, 1);
        return answer(f!.status, f!.body);
      }
      if (req.headers.authorization !== 'Bearer push-token') return answer(401, '{"error":{"message":"no"}}');
      let m = /^POST \/api\/v1\/caches\/c1\/missing-paths$/.exec(line);
      if (m) {
        const { storePathHashes } = JSON.parse(data.toString()) as { storePathHashes: string[] };
        return answer(200, JSON.stringify({ missing: storePathHashes.filter((h) => !rec.present.has(h)) }));
      }
      m = /^PUT \/cache\/c1\/nar\/([0-9a-z]{52})\.nar\.zst$/.exec(line);
      if (m) {
        assert.equal(req.headers['content-length'], String(data.length));
        const hash = encodeNix32(createHash('sha256').update(data).digest());
        if (hash !== m[1]) return answer(400, '{"error":{"message":"file hash mismatch"}}');
        rec.nars.set(`nar/${m[1]}.nar.zst`, data);
        return answer(201, '');
      }
      m = /^PUT \/cache\/c1\/([0-9a-z]{32})\.narinfo$/.exec(line);
      if (m) {
        assert.equal(req.headers['content-type'], 'text/x-nix-narinfo');
        const info = parseNarInfo(data.toString());
        if (!rec.nars.has(info.url)) return answer(400, '{"error":{"message":"NAR missing"}}');
        for (const ref of info.references) {
          const hash = ref.slice(0, 32);
          if (hash !== m[1] && !rec.present.has(hash)) {
            return answer(400, `{"error":{"message":"reference ${ref} is not in the cache"}}`);
          }
        }
        rec.narinfos.set(m[1]!, data.toString());
        rec.narinfoOrder.push(m[1]!);
        rec.present.add(m[1]!);
        return answer(201, '');
      }
      answer(404, '{"error":{"message":"not found"}}');
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { ...rec, url: `http://127.0.0.1:${port}`, server };
}

const hashOf = (path: string): string => path.slice('/nix/store/'.length, '/nix/store/'.length + 32);

describe('pushClosure against a recording server', () => {
  let rec: Recorder;
  let chain: string[];
  const transports: { close(): void }[] = [];
  const transport = (token = 'push-token') => {
    const t = httpPushTransport({ server: rec.url, token });
    transports.push(t);
    return t;
  };

  before(async () => {
    rec = await startRecorder();
  });
  after(() => {
    for (const t of transports) t.close();
    rec.server.close();
  });

  it('uploads every NAR under the hash of its bytes, and narinfos references first', async () => {
    chain = buildChain(3);
    const events: PushProgress[] = [];
    const summary = await pushClosure({
      cache: 'c1',
      paths: [chain[0]!],
      transport: transport(),
      source: nixPushSource(),
      jobs: 3,
      onProgress: (e) => events.push(e),
    });
    assert.equal(summary.closure, 3);
    assert.equal(summary.pushed, 3);
    assert.equal(summary.alreadyPresent, 0);
    assert.deepEqual(rec.narinfoOrder, [...chain].reverse().map(hashOf));
    assert.deepEqual(summary.pushedPaths, [...chain].reverse());
    let uploaded = 0;
    let narBytes = 0;
    for (const path of chain) {
      const info = parseNarInfo(rec.narinfos.get(hashOf(path))!);
      const file = rec.nars.get(info.url)!;
      assert.equal(info.fileSize, file.length);
      const nar = execFileSync('zstd', ['-d', '-c', '-q'], { input: file });
      assert.deepEqual(nar, dumpNar(path), `the NAR of ${path} is nix-store --dump's`);
      const expected = execFileSync('nix-store', ['--query', '--hash', path], { encoding: 'utf8' }).trim();
      assert.equal(info.narHash, expected);
      assert.equal(info.narSize, nar.length);
      uploaded += file.length;
      narBytes += nar.length;
    }
    assert.equal(summary.bytesUploaded, uploaded);
    assert.equal(summary.narBytes, narBytes);
    assert.deepEqual(
      events.filter((e) => e.type === 'path-pushed').map((e) => (e as { done: number }).done),
      [1, 2, 3],
    );
  });

  it('pushes nothing when the cache has everything', async () => {
    const before = rec.log.length;
    const summary = await pushClosure({
      cache: 'c1',
      paths: [chain[0]!],
      transport: transport(),
      source: nixPushSource(),
    });
    assert.deepEqual([summary.pushed, summary.alreadyPresent, summary.bytesUploaded], [0, 3, 0]);
    assert.deepEqual(rec.log.slice(before), ['POST /api/v1/caches/c1/missing-paths']);
  });

  it('pushes only what is missing, trusting the server about the rest', async () => {
    const fresh = buildChain(3);
    rec.present.add(hashOf(fresh[1]!)).add(hashOf(fresh[2]!));
    const summary = await pushClosure({
      cache: 'c1',
      paths: [fresh[0]!],
      transport: transport(),
      source: nixPushSource(),
    });
    assert.deepEqual([summary.pushed, summary.alreadyPresent], [1, 2]);
    assert.deepEqual(summary.pushedPaths, [fresh[0]]);
  });

  it('retries 5xx answers, then succeeds', async () => {
    const fresh = buildChain(3);
    rec.failNext.push({ match: /^PUT \/cache\/c1\/nar\//, status: 503, body: 'busy' });
    rec.failNext.push({ match: /^PUT \/cache\/c1\/[0-9a-z]{32}\.narinfo/, status: 502, body: 'bad gateway' });
    const events: PushProgress[] = [];
    const summary = await pushClosure({
      cache: 'c1',
      paths: [fresh[0]!],
      transport: transport(),
      source: nixPushSource(),
      retryDelayMs: 10,
      onProgress: (e) => events.push(e),
    });
    assert.equal(summary.pushed, 3);
    const retries = events.filter((e) => e.type === 'retry');
    assert.equal(retries.length, 2);
    assert.match(JSON.stringify(retries), /503 busy/);
  });

  it('gives up after three attempts with the last error', async () => {
    const fresh = buildChain(1);
    for (let i = 0; i < 3; i++)
      rec.failNext.push({ match: /^PUT \/cache\/c1\/nar\//, status: 500, body: 'disk full' });
    await assert.rejects(
      pushClosure({
        cache: 'c1',
        paths: [fresh[0]!],
        transport: transport(),
        source: nixPushSource(),
        retryDelayMs: 5,
      }),
      (error: unknown) =>
        isKilnError(error) &&
        error.code === 'KILN_ERR_UNAVAILABLE' &&
        /after 3 attempts: 500 disk full/.test(error.message),
    );
  });

  it("stops at a 4xx with the server's message", async () => {
    const fresh = buildChain(3);
    await assert.rejects(
      pushClosure({
        cache: 'c1',
        paths: [fresh[0]!],
        transport: transport('wrong'),
        source: nixPushSource(),
      }),
      (error: unknown) =>
        isKilnError(error) && error.code === 'KILN_ERR_UNAUTHORIZED' && /401: no$/.test(error.message),
    );
    rec.failNext.push({
      match: /^PUT \/cache\/c1\/nar\//,
      status: 403,
      body: '{"error":{"code":"KILN_ERR_FORBIDDEN","message":"this token may only pull"}}',
    });
    await assert.rejects(
      pushClosure({ cache: 'c1', paths: [fresh[0]!], transport: transport(), source: nixPushSource() }),
      (error: unknown) =>
        isKilnError(error) && error.code === 'KILN_ERR_FORBIDDEN' && /may only pull/.test(error.message),
    );
    assert.ok(!rec.present.has(hashOf(fresh[0]!)), 'no narinfo of the top path went up');
  });

  it('spills NARs above the memory limit to a temp file and removes it', async (t) => {
    const fresh = buildChain(3);
    const spillDir = tempDir(t);
    const summary = await pushClosure({
      cache: 'c1',
      paths: [fresh[0]!],
      transport: transport(),
      source: nixPushSource(),
      memoryLimitBytes: 1,
      tempDir: spillDir,
    });
    assert.equal(summary.pushed, 3);
    for (const path of fresh) {
      const info = parseNarInfo(rec.narinfos.get(hashOf(path))!);
      assert.deepEqual(
        execFileSync('zstd', ['-d', '-c', '-q'], { input: rec.nars.get(info.url)! }),
        dumpNar(path),
      );
    }
    assert.deepEqual(readdirSync(spillDir), []);
  });

  it('fails with the cause when a path is not in the store', async () => {
    await assert.rejects(
      pushClosure({
        cache: 'c1',
        paths: ['/nix/store/00000000000000000000000000000000-missing'],
        transport: transport(),
        source: nixPushSource(),
      }),
      (error: unknown) => isKilnError(error) && error.code === 'KILN_ERR_NIX',
    );
  });
});
