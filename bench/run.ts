/**
 * `make bench`: kiln against bare Nix, measured in the same run on the same machine.
 *  1. Overhead per build: an already-built derivation through `kiln build --expr … --wait`
 *     (a real CLI process against a real `kiln serve`) versus `nix-build` of the same expression.
 *  2. Throughput: 200 small distinct derivations submitted at once through the API versus one
 *     `nix-build` of an expression holding all 200.
 *  3. `cache` (bench/cache): the binary cache against nginx, and `kiln push` against `nix copy`.
 *  4. `git` (bench/git): builds from Git, cached by commit and fresh, against clone + nix build by hand.
 *  5. `image` (bench/image): an OCI image of a 50-path closure built and pushed, against skopeo copy.
 *  6. `hash` (bench/hash): NAR hashing of many small files and of one 1 GiB file, against `nix hash path`.
 *  7. `follow` (bench/follow): 200 clients following the live logs of 10 running builds, against a
 *     minimal Node SSE relay of the same lines; then a burst of 50 webhook pushes to one branch.
 *  8. `workers` (bench/workers): 1,000 queued trivial builds on SQLite and on PostgreSQL with 1, 2
 *     and 3 worker processes, and the scheduling latency of builds on an idle deployment, against
 *     one `nix-build` of the same derivations.
 * Prints absolute times and ratios; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { kilnBin, startServerProcess } from '../test/helpers/server-process.js';
import { runCacheBench } from './cache/index.js';
import { runFollowBench } from './follow/index.js';
import { runGitBench } from './git/index.js';
import { runHashBench } from './hash/index.js';
import { runImageBench } from './image/index.js';
import { runWorkersBench } from './workers/index.js';
import { NIX_BUILD_OPTS } from './settings.js';

const run = promisify(execFile);
const BATCH = Number(process.env['KILN_BENCH_BATCH'] ?? 200);
const ROUNDS = Number(process.env['KILN_BENCH_ROUNDS'] ?? 10);

function drv(name: string, tag: string): string {
  return `derivation { name = "${name}"; system = "x86_64-linux"; builder = "/bin/sh"; nonce = "${tag}"; args = [ "-c" "echo ${name} > $out" ]; }`;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
  const server = await startServerProcess(join(work, 'data'));
  const env = { ...process.env, KILN_SERVER: server.url, KILN_TOKEN: server.token };
  try {
    // 1. Overhead on an already-built derivation.
    const expr = drv('bench-built', randomBytes(8).toString('hex'));
    const file = join(work, 'built.nix');
    writeFileSync(file, expr);
    await run('nix-build', [...NIX_BUILD_OPTS, '--no-out-link', file]);
    await run(process.execPath, [kilnBin, 'build', '--expr', expr, '--wait', '--json'], { env });
    const bare: number[] = [];
    const kiln: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await time(() => run('nix-build', [...NIX_BUILD_OPTS, '--no-out-link', file])));
      kiln.push(
        await time(() =>
          run(process.execPath, [kilnBin, 'build', '--expr', expr, '--wait', '--json'], { env }),
        ),
      );
    }
    // The same through the HTTP API from this (warm) process: kiln's server-side overhead alone.
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    const viaApi: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      viaApi.push(
        await time(async () => {
          const res = await fetch(`${server.url}/api/v1/builds`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ source: { kind: 'expr', expression: expr } }),
          });
          const id = ((await res.json()) as { builds: { id: string }[] }).builds[0]!.id;
          const stream = await fetch(`${server.url}/api/v1/builds/${id}/log?follow=1`, { headers });
          await stream.text(); // the server closes the stream after the final `end` event
        }),
      );
    }
    const node: number[] = [];
    for (let i = 0; i < ROUNDS; i++) node.push(await time(() => run(process.execPath, ['-e', ''])));
    const bareMs = median(bare);
    const kilnMs = median(kiln);
    console.log(`overhead (median of ${ROUNDS}, already-built derivation)`);
    console.log(`  nix-build                  ${bareMs.toFixed(1)} ms`);
    console.log(`  kiln build --wait (CLI)    ${kilnMs.toFixed(1)} ms`);
    console.log(`  of which node start-up     ${median(node).toFixed(1)} ms`);
    console.log(
      `  kiln API submit + stream   ${median(viaApi).toFixed(1)} ms  (server side alone: adds ${(median(viaApi) - bareMs).toFixed(1)} ms)`,
    );
    console.log(
      `  kiln adds per build        ${(kilnMs - bareMs).toFixed(1)} ms  (ratio ${(kilnMs / bareMs).toFixed(2)}x; goal < 100 ms)`,
    );

    // 2. Throughput: BATCH distinct derivations.
    const tagKiln = randomBytes(6).toString('hex');
    const tagNix = randomBytes(6).toString('hex');
    const batchFile = join(work, 'batch.nix');
    writeFileSync(
      batchFile,
      `[ ${Array.from({ length: BATCH }, (_, i) => `(${drv(`bench-${i}`, tagNix)})`).join('\n')} ]`,
    );
    const cores = availableParallelism();
    const nixBatchMs = await time(() =>
      run('nix-build', [...NIX_BUILD_OPTS, '--no-out-link', '--max-jobs', String(cores), batchFile], {
        maxBuffer: 1 << 24,
      }),
    );
    let submittedMs = 0;
    const batchStart = process.hrtime.bigint();
    const kilnBatchMs = await time(async () => {
      const ids = await Promise.all(
        Array.from({ length: BATCH }, async (_, i) => {
          const res = await fetch(`${server.url}/api/v1/builds`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ source: { kind: 'expr', expression: drv(`bench-${i}`, tagKiln) } }),
          });
          if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${await res.text()}`);
          return ((await res.json()) as { builds: { id: string }[] }).builds[0]!.id;
        }),
      );
      submittedMs = Number(process.hrtime.bigint() - batchStart) / 1e6;
      const pending = new Set(ids);
      while (pending.size > 0) {
        await new Promise((r) => setTimeout(r, 100));
        const res = await fetch(`${server.url}/api/v1/builds?status=pending,running&limit=500`, { headers });
        const live = new Set(((await res.json()) as { builds: { id: string }[] }).builds.map((b) => b.id));
        for (const id of pending) if (!live.has(id)) pending.delete(id);
      }
      const failed = await fetch(`${server.url}/api/v1/builds?status=failed,timed_out&limit=500`, {
        headers,
      });
      const failures = ((await failed.json()) as { builds: unknown[] }).builds.length;
      if (failures > 0) throw new Error(`${failures} batch builds failed`);
    });
    console.log(`throughput (${BATCH} distinct derivations, ${cores} cores)`);
    console.log(`  nix-build of one expression ${(nixBatchMs / 1000).toFixed(2)} s`);
    console.log(`  kiln, ${BATCH} builds at once   ${(kilnBatchMs / 1000).toFixed(2)} s`);
    console.log(`  of which all submitted after ${(submittedMs / 1000).toFixed(2)} s (parse and evaluation)`);
    console.log(`  ratio                       ${(kilnBatchMs / nixBatchMs).toFixed(2)}x  (goal <= 1.2x)`);
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// `node dist/bench/run.js [build|cache|git|hash|image|follow|workers]...` runs the named benchmarks; no argument runs them all.
const BENCHMARKS: Record<string, () => Promise<void>> = {
  build: main,
  cache: runCacheBench,
  git: runGitBench,
  hash: runHashBench,
  image: runImageBench,
  follow: runFollowBench,
  workers: runWorkersBench,
};
const selected = process.argv.slice(2);
for (const name of selected.length > 0 ? selected : Object.keys(BENCHMARKS)) {
  const bench = BENCHMARKS[name];
  if (!bench) throw new Error(`unknown benchmark ${name}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  await bench();
}
