/**
 * `node dist/bench/run.js cache`: kiln's binary cache against nginx serving the same files, and
 * `kiln push` against `nix copy --to`, measured in the same run on the same machine.
 *
 * Serving (both servers hold the same store paths, uploaded by `nix copy`):
 *  - narinfo GETs per second with wrk (random narinfos of a 1,000-path set, 64 connections), and
 *    the p50/p99 latency under that load and at one connection;
 *  - download throughput of a 100 MB NAR;
 *  - `nix-store -r` of a 300-path closure (about 200 MB) into an empty store.
 * Both caches get NARs with the same compression, so the servers hand out the same bytes: zstd for
 * the 1,000 set and the closure (cheap for Nix to decompress, so substitution measures serving
 * rather than xz), none for the 100 MB NAR (random bytes, nothing to compress; the download
 * measures the server alone).
 * Push: the 300-path closure into a fresh, empty kiln server each time, `nix copy --to` with its
 * defaults (xz) against `kiln push` (zstd, parallel, asks the server what is missing).
 *
 * Environment: KILN_BENCH_CACHE_ROUNDS (wrk, substitution and download rounds, default 3),
 * KILN_BENCH_PUSH_ROUNDS (default 1), KILN_BENCH_WRK_SECONDS (default 10), KILN_BENCH_FIXTURES
 * (fixture directory, kept between runs), KILN_BENCH_CPU_PROF (directory for the kiln server's
 * V8 CPU profiles). Prints absolute figures, ratios and goals; asserts nothing.
 */
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtures, CLOSURE_SIZE, hashPart, type Fixtures } from './fixtures.js';
import { download, getText, narinfoFields } from './http.js';
import { kilnPush, startKilnCache, type KilnCache } from './kiln.js';
import { startNginx } from './nginx.js';
import { closureCountIn, fixtureKey, nixCopy, substituteIntoEmptyStore } from './nix-client.js';
import { median, time } from './proc.js';
import { higherIsBetter, lowerIsBetter, ms, renderTable, seconds, type Row } from './report.js';
import { runWrk, writeScript, type WrkResult } from './wrk.js';
import { envCount } from '../settings.js';

const CACHE = 'bench';

interface Settings {
  rounds: number;
  pushRounds: number;
  wrkSeconds: number;
}

function settings(): Settings {
  return {
    rounds: envCount('KILN_BENCH_CACHE_ROUNDS', 3),
    pushRounds: envCount('KILN_BENCH_PUSH_ROUNDS', 1),
    wrkSeconds: envCount('KILN_BENCH_WRK_SECONDS', 10),
  };
}

/** A server under test: the base URL Nix is given, and the key its narinfos are signed with. */
interface Served {
  name: 'nginx' | 'kiln';
  url: string;
  publicKey: string;
}

const started = Date.now();
function log(message: string): void {
  console.error(`[cache bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

function problem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** `[a, b]` in round `i`'s order: alternating who goes first, so neither always runs on a warmer machine. */
function inTurn<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}

/** Puts the fixtures into a binary cache: zstd for the small paths and the closure, none for the big NAR. */
async function fill(baseUrl: string, fx: Fixtures, extra: string, netrc?: string): Promise<void> {
  const sep = baseUrl.includes('?') ? '&' : '?';
  await nixCopy(`${baseUrl}${sep}compression=zstd${extra}`, [...fx.narinfoSet, fx.closureRoot], netrc);
  await nixCopy(`${baseUrl}${sep}compression=none${extra}`, [fx.bigNar], netrc);
}

/** The median of each figure over several wrk runs. */
function medianWrk(runs: readonly WrkResult[]): WrkResult {
  const of = (pick: (r: WrkResult) => number): number => median(runs.map(pick));
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    requests: of((r) => r.requests),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

/**
 * wrk in rounds that alternate between the servers (the machine may be busy with other work; a
 * single run each would compare two different moments), then one single-connection run each.
 */
async function narinfoLoad(
  servers: readonly Served[],
  fx: Fixtures,
  work: string,
  cfg: Settings,
): Promise<Map<string, { load: WrkResult; single: WrkResult }>> {
  const targets = servers.map((server) => {
    const prefix = new URL(server.url).pathname;
    const scriptFile = writeScript(
      join(work, `narinfo-${server.name}.lua`),
      fx.narinfoSet.map((p) => `${prefix}/${hashPart(p)}.narinfo`),
    );
    return { server, base: { baseUrl: new URL(server.url).origin, scriptFile } };
  });
  const loads = new Map<string, WrkResult[]>(servers.map((s) => [s.name, []]));
  for (const { base } of targets) {
    await runWrk({ ...base, connections: 64, threads: 2, seconds: 2 }); // warm-up (JIT, caches)
  }
  for (let round = 0; round < cfg.rounds; round++) {
    for (const { server, base } of inTurn(targets, round)) {
      log(`wrk round ${round + 1}/${cfg.rounds}: ${server.name}`);
      loads
        .get(server.name)!
        .push(await runWrk({ ...base, connections: 64, threads: 2, seconds: cfg.wrkSeconds }));
    }
  }
  const results = new Map<string, { load: WrkResult; single: WrkResult }>();
  for (const { server, base } of targets) {
    const load = medianWrk(loads.get(server.name)!);
    const single = await runWrk({ ...base, connections: 1, threads: 1, seconds: 5 });
    for (const [what, r] of [
      ['64 connections', load],
      ['1 connection', single],
    ] as const) {
      if (r.errors > 0) throw new Error(`${server.name}: ${r.errors} failed narinfo requests (${what})`);
    }
    results.set(server.name, { load, single });
  }
  return results;
}

/** The big NAR's URL at each server (from its narinfo), checking both serve the same file. */
async function bigNarUrls(servers: readonly Served[], fx: Fixtures): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  const fileHashes = new Set<string>();
  for (const server of servers) {
    const info = narinfoFields(await getText(`${server.url}/${hashPart(fx.bigNar)}.narinfo`));
    const url = info.get('URL');
    if (!url) throw new Error(`${server.name}: the big NAR's narinfo has no URL`);
    fileHashes.add(`${info.get('Compression')} ${info.get('FileHash') ?? url}`);
    urls.set(server.name, new URL(url, `${server.url}/`).toString());
  }
  if (fileHashes.size > 1) log(`note: the servers hold different NAR files: ${[...fileHashes].join(' / ')}`);
  return urls;
}

async function narThroughput(
  servers: readonly Served[],
  fx: Fixtures,
  cfg: Settings,
): Promise<Map<string, number>> {
  const urls = await bigNarUrls(servers, fx);
  const rates = new Map<string, number[]>(servers.map((s) => [s.name, []]));
  for (const server of servers) await download(urls.get(server.name)!); // warm-up: page cache
  const rounds = Math.max(cfg.rounds, 5);
  log(`NAR downloads, ${rounds} rounds`);
  for (let round = 0; round < rounds; round++) {
    for (const server of inTurn(servers, round)) {
      const { bytes, ms: took } = await download(urls.get(server.name)!);
      rates.get(server.name)!.push(bytes / 1e6 / (took / 1000));
    }
  }
  return new Map([...rates].map(([name, values]) => [name, median(values)]));
}

async function substitution(
  servers: readonly Served[],
  fx: Fixtures,
  work: string,
  cfg: Settings,
): Promise<Map<string, number>> {
  const times = new Map<string, number[]>(servers.map((s) => [s.name, []]));
  log(`nix-store -r of the ${CLOSURE_SIZE}-path closure, ${cfg.rounds} rounds`);
  for (let round = 0; round < cfg.rounds; round++) {
    for (const server of inTurn(servers, round)) {
      const took = await time(() =>
        substituteIntoEmptyStore(join(work, 'stores'), server.url, server.publicKey, fx.closureRoot),
      );
      times.get(server.name)!.push(took);
    }
  }
  return new Map([...times].map(([name, values]) => [name, median(values)]));
}

/** One way of pushing the closure into an empty cache; returns milliseconds. */
interface Pusher {
  name: string;
  push(round: number): Promise<number>;
}

function kilnPushers(fx: Fixtures, work: string): Pusher[] {
  /** A fresh server per push: NARs are stored once per server, so nothing may be there yet. */
  const withFreshCache = async (
    label: string,
    round: number,
    upload: (cache: KilnCache) => Promise<void>,
  ): Promise<number> => {
    const dataDir = join(work, `push-${label}-${round}`);
    const cache = await startKilnCache(dataDir, 'push');
    try {
      const took = await time(() => upload(cache));
      const count = await closureCountIn(cache.cacheUrl, fx.closureRoot);
      if (count !== CLOSURE_SIZE)
        throw new Error(`${label}: the cache has ${count} of ${CLOSURE_SIZE} paths`);
      return took;
    } finally {
      await cache.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  return [
    {
      name: 'nix copy --to',
      push: (round) =>
        withFreshCache('nix-copy', round, (cache) =>
          nixCopy(cache.cacheUrl, [fx.closureRoot], cache.netrcFile),
        ),
    },
    {
      name: 'kiln push',
      push: (round) => withFreshCache('kiln-push', round, (cache) => kilnPush(cache, [fx.closureRoot])),
    },
  ];
}

async function pushTimes(pushers: readonly Pusher[], cfg: Settings): Promise<Map<string, number>> {
  const times = new Map<string, number[]>(pushers.map((p) => [p.name, []]));
  for (let round = 0; round < cfg.pushRounds; round++) {
    for (const pusher of inTurn(pushers, round)) {
      log(`push round ${round + 1}/${cfg.pushRounds}: ${pusher.name}`);
      times.get(pusher.name)!.push(await pusher.push(round));
    }
  }
  return new Map([...times].map(([name, values]) => [name, median(values)]));
}

function servingRows(
  narinfo: Map<string, { load: WrkResult; single: WrkResult }>,
  nar: Map<string, number>,
  subst: Map<string, number>,
): Row[] {
  const n = (m: Map<string, number>, name: string): number | undefined => m.get(name);
  const fmt = (value: number | undefined, f: (v: number) => string): string =>
    value === undefined ? 'n/a' : f(value);
  const ratio = (k: number | undefined, b: number | undefined, f: (k: number, b: number) => number) =>
    k === undefined || b === undefined ? undefined : f(k, b);
  const rps = (name: string): number | undefined => narinfo.get(name)?.load.requestsPerSecond;
  const lat = (name: string, pick: (r: { load: WrkResult; single: WrkResult }) => number) => {
    const r = narinfo.get(name);
    return r === undefined ? undefined : pick(r);
  };
  const latencyRow = (label: string, pick: (r: { load: WrkResult; single: WrkResult }) => number): Row => ({
    label,
    baseline: fmt(lat('nginx', pick), ms),
    kiln: fmt(lat('kiln', pick), ms),
    ratio: ratio(lat('kiln', pick), lat('nginx', pick), lowerIsBetter),
  });
  return [
    {
      label: 'narinfo GET/s (wrk, 64 conn.)',
      baseline: fmt(rps('nginx'), (v) => v.toFixed(0)),
      kiln: fmt(rps('kiln'), (v) => v.toFixed(0)),
      ratio: ratio(rps('kiln'), rps('nginx'), higherIsBetter),
      goal: 0.5,
    },
    latencyRow('narinfo p50, 64 conn.', (r) => r.load.p50Ms),
    latencyRow('narinfo p99, 64 conn.', (r) => r.load.p99Ms),
    latencyRow('narinfo p50, 1 conn.', (r) => r.single.p50Ms),
    latencyRow('narinfo p99, 1 conn.', (r) => r.single.p99Ms),
    {
      label: 'NAR download, 100 MB',
      baseline: fmt(n(nar, 'nginx'), (v) => `${v.toFixed(0)} MB/s`),
      kiln: fmt(n(nar, 'kiln'), (v) => `${v.toFixed(0)} MB/s`),
      ratio: ratio(n(nar, 'kiln'), n(nar, 'nginx'), higherIsBetter),
      goal: 0.9,
    },
    {
      label: `nix-store -r, ${CLOSURE_SIZE} paths`,
      baseline: fmt(n(subst, 'nginx'), seconds),
      kiln: fmt(n(subst, 'kiln'), seconds),
      ratio: ratio(n(subst, 'kiln'), n(subst, 'nginx'), lowerIsBetter),
      goal: 0.9,
    },
  ];
}

export async function runCacheBench(): Promise<void> {
  const cfg = settings();
  log('building fixtures (reused between runs)');
  const fx = await buildFixtures();
  const key = await fixtureKey(fx.dir);
  const www = join(fx.dir, 'www');
  const fileCache = join(www, 'cache', CACHE);
  mkdirSync(fileCache, { recursive: true });
  log('filling the nginx cache (nix copy --to file://)');
  await fill(`file://${fileCache}`, fx, `&secret-key=${key.secretFile}`);

  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-cache-'));
  const nginx = await startNginx(www, join(work, 'nginx'));
  let kiln: KilnCache | undefined;
  let kilnProblem = '';
  try {
    try {
      kiln = await startKilnCache(join(work, 'kiln'), CACHE);
      log('filling the kiln cache (nix copy --to http://…/cache/bench)');
      await fill(kiln.cacheUrl, fx, '', kiln.netrcFile);
      // Both servers announce the same nix-cache-info (WantMassQuery changes how nix queries a
      // cache), so the comparison is of the servers, not of two client strategies.
      const announced = await (await fetch(`${kiln.cacheUrl}/nix-cache-info`)).text();
      writeFileSync(join(fileCache, 'nix-cache-info'), announced);
    } catch (error) {
      kilnProblem = problem(error);
      log(`kiln is not measured: ${kilnProblem}`);
      await kiln?.stop();
      kiln = undefined;
    }
    const servers: Served[] = [
      { name: 'nginx', url: `${nginx.url}/cache/${CACHE}`, publicKey: key.publicKey },
    ];
    if (kiln) servers.push({ name: 'kiln', url: kiln.cacheUrl, publicKey: kiln.publicKey });

    const narinfo = await narinfoLoad(servers, fx, work, cfg);
    const nar = await narThroughput(servers, fx, cfg);
    const subst = await substitution(servers, fx, work, cfg);
    await nginx.stop();
    await kiln?.stop();

    let pushTable: string;
    if (kiln) {
      const pushes = await pushTimes(kilnPushers(fx, work), cfg);
      const nixMs = pushes.get('nix copy --to')!;
      const kilnMs = pushes.get('kiln push')!;
      pushTable = renderTable(
        `push of the ${CLOSURE_SIZE}-path closure (~200 MB) into an empty kiln cache, median of ${cfg.pushRounds}`,
        'nix copy --to',
        [
          {
            label: 'time',
            baseline: seconds(nixMs),
            kiln: seconds(kilnMs),
            ratio: lowerIsBetter(kilnMs, nixMs),
            goal: 2,
          },
        ],
      );
    } else {
      // Without kiln, the same upload into a file:// cache shows what `nix copy` alone costs.
      const dir = join(work, 'push-file-cache');
      const took = await time(() => nixCopy(`file://${dir}`, [fx.closureRoot]));
      pushTable = `push: kiln not measured; nix copy --to file:// (xz) of the closure takes ${seconds(took)}`;
    }

    console.log(
      renderTable(
        `binary cache serving: kiln vs nginx (1 worker), same files, same run (median of ${cfg.rounds} rounds; wrk ${cfg.wrkSeconds} s a round)`,
        'nginx',
        servingRows(narinfo, nar, subst),
      ),
    );
    console.log(pushTable);
    if (kilnProblem) console.log(`kiln was not measured: ${kilnProblem}`);
  } finally {
    await nginx.stop();
    await kiln?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
