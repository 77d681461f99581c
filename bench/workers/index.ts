/**
 * `node dist/bench/run.js workers`: many workers on PostgreSQL (issue 8).
 *
 * KILN_BENCH_WORKER_BUILDS (default 1000) distinct trivial derivations are submitted through the
 * API as fast as it takes them (the API has no batch submission; 100 requests in flight) to
 *  - one `kiln serve` on SQLite (role all), and
 *  - one `kiln serve --role api` plus 1, 2 and 3 `kiln serve --role worker` processes on one
 *    PostgreSQL database (test/helpers/postgres.ts),
 * each process that builds with KILN_BENCH_WORKER_SLOTS (default 2) slots. Throughput is builds per
 * second from the first enqueue (createdAt) to the last finish (finishedAt); enqueue to start
 * (startedAt) p50/p99 over the queue mostly measures time spent queued. Then, on the same idle
 * deployment, KILN_BENCH_WORKER_IDLE (default 100) builds are submitted one at a time, each after
 * the one before finished: their enqueue to start is the scheduling latency (goal p99 < 50 ms).
 * Reference, same run: one `nix-build` of all the derivations in one expression, with as many
 * jobs as the largest deployment has slots (Nix itself as the limit). Prints and asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresUnavailableReason, sharedPostgres } from '../../test/helpers/postgres.js';
import { run, time } from '../cache/proc.js';
import { envCount, NIX_BUILD_OPTS } from '../settings.js';
import { QUEUE_SETTINGS, startCluster, type ClusterPlan } from './cluster.js';
import { runIdle, runQueued, trivialDrv } from './load.js';
import { fmtMs, queueFigures, renderTable, startLatency, type Latency, type Line } from './report.js';

const IDLE_P99_GOAL_MS = 50;
const IN_FLIGHT = 100;
const MAX_WORKERS = 3;

const started = Date.now();
function log(message: string): void {
  console.error(
    `[workers bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message} (load ${loadavg()[0]!.toFixed(2)})`,
  );
}

async function nixReference(work: string, count: number, nonce: string, jobs: number): Promise<number> {
  const file = join(work, 'all.nix');
  const drvs = Array.from({ length: count }, (_, n) => `(${trivialDrv(`t-${n}`, nonce)})`);
  writeFileSync(file, `[\n${drvs.join('\n')}\n]\n`);
  const ms = await time(() =>
    run('nix-build', [...NIX_BUILD_OPTS, '--no-out-link', '--max-jobs', String(jobs), file], {
      timeoutMs: 3_600_000,
    }),
  );
  return count / (ms / 1000);
}

interface Setup {
  setup: string;
  processes: string;
  plan: ClusterPlan;
}

async function measure(work: string, runId: string, s: Setup, count: number, idle: number): Promise<Line> {
  const dir = mkdtempSync(join(work, 'data-'));
  const cluster = await startCluster(dir, s.plan);
  try {
    log(`${s.setup}: ${count} builds queued`);
    const queued = await runQueued(cluster.api, count, `${runId}-${s.setup}`, IN_FLIGHT, 3_600_000);
    const q = queueFigures(queued.builds);
    log(
      `  ${q.perSecond.toFixed(1)} builds/s, all submitted after ${(queued.submittedMs / 1000).toFixed(1)} s`,
    );
    log(`${s.setup}: ${idle} builds one at a time`);
    const one = await runIdle(cluster.api, idle, `${runId}-${s.setup}-idle`, 120_000);
    const latency = startLatency(one);
    const fromAnswer = startLatency(one, (b) => b.answeredAt);
    log(
      `  idle enqueue to start p50 ${fmtMs(latency.p50)}, p99 ${fmtMs(latency.p99)}; from the answer p50 ${fmtMs(fromAnswer.p50)}, p99 ${fmtMs(fromAnswer.p99)}`,
    );
    return {
      setup: s.setup,
      processes: s.processes,
      perSecond: q.perSecond,
      submittedMs: queued.submittedMs,
      queued: q.start,
      idle: latency,
      idleQueued: fromAnswer,
      failed: q.failed + one.filter((b) => b.status !== 'succeeded').length,
    };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runWorkersBench(): Promise<void> {
  const count = envCount('KILN_BENCH_WORKER_BUILDS', 1000);
  const idle = envCount('KILN_BENCH_WORKER_IDLE', 100);
  const slots = envCount('KILN_BENCH_WORKER_SLOTS', 2);
  const jobs = slots * MAX_WORKERS;
  const runId = randomBytes(6).toString('hex');
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-workers-'));
  const lines: Line[] = [];
  let nixPerSecond: number;
  try {
    log(`nix-build of ${count} derivations, ${jobs} jobs`);
    nixPerSecond = await nixReference(work, count, `${runId}-nix`, jobs);
    lines.push({
      setup: 'nix-build, one invocation',
      processes: `max-jobs ${jobs}`,
      perSecond: nixPerSecond,
    });

    const setups: Setup[] = [
      {
        setup: 'SQLite',
        processes: `1 (role all, ${slots} slots)`,
        plan: { databaseUrl: '', workers: 0, slots },
      },
    ];
    const unavailable = postgresUnavailableReason();
    if (unavailable === null) {
      const postgres = await sharedPostgres();
      for (let workers = 1; workers <= MAX_WORKERS; workers++) {
        setups.push({
          setup: `PostgreSQL, ${workers} worker${workers > 1 ? 's' : ''}`,
          processes: `api + ${workers} x ${slots} slots`,
          plan: { databaseUrl: await postgres.createDatabase(), workers, slots },
        });
      }
    } else {
      log(`PostgreSQL skipped: ${unavailable}`);
    }
    for (const s of setups) lines.push(await measure(work, runId, s, count, idle));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const loadAfter = loadavg();

  const settings = `poll ${QUEUE_SETTINGS.KILN_POLL_MS} ms, heartbeat ${QUEUE_SETTINGS.KILN_HEARTBEAT_MS} ms, lease ${QUEUE_SETTINGS.KILN_LEASE_MS} ms, worker timeout ${QUEUE_SETTINGS.KILN_WORKER_TIMEOUT_MS} ms`;
  const sqlite = lines.find((l) => l.setup === 'SQLite');
  console.log(
    renderTable(
      `workers: ${count} distinct trivial builds queued at once, then ${idle} one at a time on the idle deployment (${availableParallelism()} cores; ${settings})`,
      lines,
      nixPerSecond,
      sqlite?.perSecond,
    ),
  );
  console.log(
    '  builds/s: first enqueue to last finish; queued start: enqueue (createdAt) to start over the queue (time spent queued)',
  );
  console.log(
    '  idle start: createdAt to start of builds submitted one at a time (createdAt is stamped before the evaluation); from answer: the submission answered (queued) to start, the scheduling latency',
  );
  const kiln = lines.filter((l) => l.idle !== undefined);
  const verdicts = (pick: (l: Line) => Latency): string =>
    kiln
      .map((l) => `${l.setup} ${fmtMs(pick(l).p99)} ${pick(l).p99 < IDLE_P99_GOAL_MS ? 'met' : 'missed'}`)
      .join('; ');
  console.log(`  goal idle p99 < ${IDLE_P99_GOAL_MS} ms, from the answer: ${verdicts((l) => l.idleQueued!)}`);
  console.log(`    from createdAt (with the evaluation): ${verdicts((l) => l.idle!)}`);
  const pg = kiln.filter((l) => l.setup.startsWith('PostgreSQL'));
  if (pg.length > 1) {
    // Growth is due at each step unless the smaller deployment already builds as fast as Nix.
    const steps = pg.slice(1).map((l, i) => {
      const before = pg[i]!;
      const grows = l.perSecond > before.perSecond || before.perSecond >= 0.9 * nixPerSecond;
      return `${i + 1} -> ${i + 2} workers ${(l.perSecond / before.perSecond).toFixed(2)}x ${grows ? 'met' : 'missed'}`;
    });
    const best = Math.max(...pg.map((l) => l.perSecond));
    console.log(
      `  goal throughput grows with workers until Nix is the limit: ${steps.join('; ')}; best ${(best / nixPerSecond).toFixed(2)}x of nix-build`,
    );
  }
  console.log(
    `  a worker process hears of a build queued by another process from a PostgreSQL notification, or else its ${QUEUE_SETTINGS.KILN_POLL_MS} ms poll: an idle p99 near the poll interval means it waited for the poll`,
  );
  console.log(
    `  machine load average (1 min) before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)} (cores shared with other work)`,
  );
}
