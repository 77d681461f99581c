/**
 * `node dist/bench/run.js git`: builds from Git through kiln's API, measured in the same run
 * against the same work done by hand (issue 4's benchmark).
 *  1. Cached rebuild: after one successful build of a commit, identical submissions (same
 *     repository, commit, attribute, system, env) answered from that result; the end-to-end latency
 *     of the POST seen by the client (after a warm-up, so fetch's first-use cost is not counted).
 *     Goal: median < 50 ms.
 *  2. Fresh build of a small flake in a local Git repository, a new commit with a new nonce every
 *     round so nothing is cached or already in the store: POST to the build's end through the API,
 *     against `git clone --depth 1` plus `nix build` of the same flake output by hand (its own
 *     repository and nonce, so it really builds too). Rounds alternate who goes first.
 *     Goal: kiln / by hand <= 1.3x. The build records' step timings show where kiln's time goes.
 *
 * Environment: KILN_BENCH_GIT_CACHED_ROUNDS (timed identical submissions, default 30),
 * KILN_BENCH_GIT_ROUNDS (fresh-build rounds, default 7). Prints figures and goals; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../../test/helpers/server-process.js';
import { run, time } from '../cache/proc.js';
import { KilnApi, type GitSourceBody } from './api.js';
import { buildByHand, type ByHandTimes } from './by-hand.js';
import { commitNonce, FLAKE_ATTR, git, makeFlakeRepo } from './repo.js';
import {
  buildTimings,
  goalText,
  median,
  medianTimings,
  ms,
  percentile,
  renderTable,
  verdict,
  type BuildTimings,
  type Goal,
} from './stats.js';
import { envCount } from '../settings.js';

const CACHED_GOAL: Goal = { op: '<', limit: 50, unit: 'ms' };
const FRESH_GOAL: Goal = { op: '<=', limit: 1.3, unit: 'x' };
const WARM_UP_SUBMISSIONS = 5;

interface Settings {
  cachedRounds: number;
  freshRounds: number;
}

function settings(): Settings {
  return {
    cachedRounds: envCount('KILN_BENCH_GIT_CACHED_ROUNDS', 30),
    freshRounds: envCount('KILN_BENCH_GIT_ROUNDS', 7),
  };
}

const started = Date.now();
function log(message: string): void {
  console.error(`[git bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

const nonce = (): string => randomBytes(8).toString('hex');

interface CachedResult {
  latencies: number[];
  /** Submissions that were queued instead of answered from the earlier build. */
  notCached: number;
  /** GET of a build record over the same connection: the API's floor. */
  getMedian: number;
  /** The two subprocesses a cached answer waits for, run alone from here: medians. */
  lsRemoteMedian: number;
  checkValidityMedian: number;
}

async function cachedRebuild(api: KilnApi, repo: string, rounds: number): Promise<CachedResult> {
  const source: GitSourceBody = { kind: 'git', url: `file://${repo}`, ref: 'main', attr: 'default' };
  await commitNonce(repo, nonce());
  log('cached rebuild: the first build of the commit');
  const { build: first } = await api.buildToEnd(source);
  for (let i = 0; i < WARM_UP_SUBMISSIONS; i++) await api.submit(source);
  log(`cached rebuild: ${rounds} identical submissions`);
  const latencies: number[] = [];
  let notCached = 0;
  for (let i = 0; i < rounds; i++) {
    let answer: Awaited<ReturnType<KilnApi['submit']>> | undefined;
    latencies.push(await time(async () => (answer = await api.submit(source))));
    if (!answer?.cached || answer.status !== 'succeeded') {
      notCached++;
      if (answer && answer.finishedAt === null) await api.waitForEnd(answer.id); // keep the queue empty
    }
  }
  const gets: number[] = [];
  const lsRemotes: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < rounds; i++) {
    gets.push(await time(() => api.get(first.id)));
    lsRemotes.push(await time(() => git(repo, ['ls-remote', '--symref', '--', `file://${repo}`, 'main'])));
    checks.push(
      await time(() => run('nix-store', ['--check-validity', '--print-invalid', '--', ...first.outputs])),
    );
  }
  return {
    latencies,
    notCached,
    getMedian: median(gets),
    lsRemoteMedian: median(lsRemotes),
    checkValidityMedian: median(checks),
  };
}

interface FreshResult {
  kiln: number[];
  kilnSubmit: number[];
  kilnTimings: BuildTimings[];
  byHand: ByHandTimes[];
}

/** One fresh build each way, by hand first when `handFirst`. */
async function freshRound(
  api: KilnApi,
  repos: { kiln: string; hand: string },
  cloneDir: string,
  handFirst: boolean,
  into: FreshResult,
): Promise<void> {
  // New commits before any timing: committing is not part of either side's work.
  await commitNonce(repos.kiln, nonce());
  const handSha = await commitNonce(repos.hand, nonce());
  const source: GitSourceBody = { kind: 'git', url: `file://${repos.kiln}`, ref: 'main', attr: 'default' };
  const kilnSide = async (): Promise<void> => {
    const { build, ms: took, submitMs } = await api.buildToEnd(source);
    if (build.cached) throw new Error(`fresh build ${build.id} was answered from the cache`);
    into.kiln.push(took);
    into.kilnSubmit.push(submitMs);
    into.kilnTimings.push(buildTimings(build));
  };
  const handSide = async (): Promise<void> => {
    into.byHand.push(await buildByHand(repos.hand, handSha, cloneDir));
  };
  for (const side of handFirst ? [handSide, kilnSide] : [kilnSide, handSide]) await side();
}

async function freshBuilds(
  api: KilnApi,
  repos: { kiln: string; hand: string },
  work: string,
  rounds: number,
): Promise<FreshResult> {
  const cloneDir = join(work, 'by-hand-clone');
  log('fresh builds: one warm-up round each way (not counted)');
  await freshRound(api, repos, cloneDir, false, { kiln: [], kilnSubmit: [], kilnTimings: [], byHand: [] });
  const result: FreshResult = { kiln: [], kilnSubmit: [], kilnTimings: [], byHand: [] };
  for (let round = 0; round < rounds; round++) {
    const handFirst = round % 2 === 1;
    log(`fresh builds: round ${round + 1}/${rounds} (${handFirst ? 'by hand' : 'kiln'} first)`);
    await freshRound(api, repos, cloneDir, handFirst, result);
  }
  return result;
}

function cachedTable(result: CachedResult, rounds: number): string {
  const p50 = median(result.latencies);
  const rows = [
    ['POST, median', ms(p50), goalText(CACHED_GOAL), verdict(p50, CACHED_GOAL)],
    ['POST, p95', ms(percentile(result.latencies, 95)), '', ''],
    ['POST, max', ms(Math.max(...result.latencies)), '', ''],
    ['GET of a build record, median (the API floor)', ms(result.getMedian), '', ''],
    // What a cached answer runs before answering, timed alone here: the ref and the outputs' validity.
    ['git ls-remote of the ref, alone, median', ms(result.lsRemoteMedian), '', ''],
    ['nix-store --check-validity, alone, median', ms(result.checkValidityMedian), '', ''],
  ];
  if (result.notCached > 0)
    rows.push(['submissions not answered from the cache', String(result.notCached), '0', 'missed']);
  return renderTable(
    `cached-by-commit rebuild through the API (${rounds} identical submissions after ${WARM_UP_SUBMISSIONS} warm-up ones)`,
    ['', 'kiln', 'goal', ''],
    rows,
  );
}

function freshTable(result: FreshResult, rounds: number): string {
  const kilnMs = median(result.kiln);
  const handMs = median(result.byHand.map((t) => t.total));
  const ratio = kilnMs / handMs;
  const summary = renderTable(
    `fresh build of a small flake from a local Git repository (${FLAKE_ATTR}), median of ${rounds} rounds`,
    ['', 'by hand', 'kiln', 'ratio', 'goal', ''],
    [
      [
        'POST to the end of the build',
        ms(handMs),
        ms(kilnMs),
        `${ratio.toFixed(2)}x`,
        goalText(FRESH_GOAL),
        verdict(ratio, FRESH_GOAL),
      ],
    ],
  );
  const steps = medianTimings(result.kilnTimings);
  const profile = renderTable(
    "where the time goes (medians; kiln's from the build records' step timings)",
    ['', 'ms'],
    [
      ['by hand: git clone --depth 1', ms(median(result.byHand.map((t) => t.clone)))],
      ['by hand: nix build --no-link', ms(median(result.byHand.map((t) => t.build)))],
      ['kiln: POST answered (ref resolved, build queued)', ms(median(result.kilnSubmit))],
      ['kiln: createdAt to the first step (queue, worker pick-up)', ms(steps.queued)],
      ...[...steps.steps].map(([name, took]) => [`kiln: step ${name}`, ms(took)]),
      ['kiln: outside the steps until finishedAt', ms(steps.between)],
      ['kiln: createdAt to finishedAt (server side)', ms(steps.total)],
      ['kiln: POST to the end of the log stream (client side)', ms(kilnMs)],
    ],
  );
  return `${summary}\n${profile}`;
}

export async function runGitBench(): Promise<void> {
  const cfg = settings();
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-git-'));
  const repos = { kiln: join(work, 'kiln-repo'), hand: join(work, 'hand-repo') };
  await makeFlakeRepo(repos.kiln);
  await makeFlakeRepo(repos.hand);
  const server = await startServerProcess(join(work, 'data'), [], { KILN_GIT_ALLOW_LOCAL: '1' });
  try {
    const api = new KilnApi(server.url, server.token);
    const cached = await cachedRebuild(api, repos.kiln, cfg.cachedRounds);
    const fresh = await freshBuilds(api, repos, work, cfg.freshRounds);
    console.log(cachedTable(cached, cfg.cachedRounds));
    console.log(freshTable(fresh, cfg.freshRounds));
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
