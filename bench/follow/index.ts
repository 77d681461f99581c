/**
 * `node dist/bench/run.js follow`: many clients following live build logs (issue 7).
 *
 * KILN_BENCH_FOLLOW_CLIENTS (default 200) clients each follow every one of
 * KILN_BENCH_FOLLOW_BUILDS (default 10) builds running at once through
 * `GET /api/v1/builds/:id/log?follow=1`; each build prints KILN_BENCH_FOLLOW_LINES (default 300)
 * lines, one every KILN_BENCH_FOLLOW_INTERVAL_MS (default 50), in KILN_BENCH_FOLLOW_ROUNDS (default 3) rounds that alternate
 * with the reference (figures are the median round). The clients run in their own
 * process. Every client must receive every line of every build, in order, exactly as the server
 * stores it (compared with the full log fetched after the end); latency is from the line's stored
 * `ts` (stamped by the server when it read the line from Nix) to when the client parsed it.
 *
 * Reference, same run, same writers, same clients: a minimal Node SSE relay (bench/follow/relay.ts)
 * that sends each line to every follower the moment it reads it from the writer's pipe, with no
 * database. Prints p50/p95/p99/max, lines delivered per second, CPU used, the machine's load, the
 * ratios, and whether the completeness check and the 100 ms p99 goal were met; asserts nothing.
 * KILN_BENCH_CPU_PROF=DIR writes the kiln server's CPU profile there.
 *
 * Then (bench/follow/burst.ts) a burst of KILN_BENCH_BURST_PUSHES (default 50) signed pushes to
 * one branch through a project's webhook: exactly one run running and at most one pending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { higherIsBetter, lowerIsBetter, ms, renderTable, type Row } from '../cache/report.js';
import { envCount } from '../settings.js';
import { median } from '../cache/proc.js';
import { runBurstBench } from './burst.js';
import { runRelaySide, startKilnSide, type Load, type SideResult } from './sides.js';
import { merge, summarize, type Summary } from './stats.js';

const P99_GOAL_MS = 100;

const started = Date.now();
function log(message: string): void {
  console.error(`[follow bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

/** Every stream saw exactly the stored lines, in order; returns what did not hold. */
export function completeness(side: SideResult, clients: number): string[] {
  const problems = [...side.problems];
  const expected = side.stored.length * clients;
  if (side.clients.streams.length !== expected)
    problems.push(`${side.clients.streams.length} streams, expected ${expected}`);
  let short = 0;
  let wrong = 0;
  let disordered = 0;
  let unended = 0;
  for (const stream of side.clients.streams) {
    const stored = side.stored[stream.target];
    if (!stored || stream.count !== stored.count) short++;
    else if (stream.digest !== stored.digest) wrong++;
    if (stream.disorders > 0) disordered++;
    if (!stream.ended) unended++;
  }
  if (short > 0) problems.push(`${short} streams with a different line count than the stored log`);
  if (wrong > 0) problems.push(`${wrong} streams whose lines differ from the stored log`);
  if (disordered > 0) problems.push(`${disordered} streams with lines out of order`);
  if (unended > 0) problems.push(`${unended} streams without their end event`);
  if (side.stored.some((s) => s.count === 0)) problems.push('a stored log is empty');
  return problems;
}

interface Figures {
  latency: Summary;
  linesPerSecond: number;
  linesDelivered: number;
  serverCpuMs: number;
  clientsCpuMs: number;
  loopDelayP99Ms: number;
  machineBusy: number;
  backlog: number;
  problems: string[];
}

function figures(side: SideResult, load: Load): Figures {
  const latency = summarize(merge([side.clients.histogram]));
  const seconds = (side.clients.lastLineAt - side.clients.firstLiveAt) / 1000;
  return {
    latency,
    linesPerSecond: seconds > 0 ? latency.count / seconds : 0,
    linesDelivered: latency.count + side.clients.backlog,
    serverCpuMs: side.serverCpuMs,
    clientsCpuMs: side.clients.cpuMs,
    loopDelayP99Ms: side.clients.loopDelayP99Ms,
    machineBusy: side.machineBusy,
    backlog: side.clients.backlog,
    problems: completeness(side, load.clients),
  };
}

/** The median round of each figure (the machine may be busy with other work in one of them). */
function medianOf(rounds: readonly Figures[]): Figures {
  const of = (pick: (f: Figures) => number): number => median(rounds.map(pick));
  return {
    latency: {
      count: of((f) => f.latency.count),
      p50: of((f) => f.latency.p50),
      p95: of((f) => f.latency.p95),
      p99: of((f) => f.latency.p99),
      max: of((f) => f.latency.max),
    },
    linesPerSecond: of((f) => f.linesPerSecond),
    linesDelivered: of((f) => f.linesDelivered),
    serverCpuMs: of((f) => f.serverCpuMs),
    clientsCpuMs: of((f) => f.clientsCpuMs),
    loopDelayP99Ms: of((f) => f.loopDelayP99Ms),
    machineBusy: of((f) => f.machineBusy),
    backlog: of((f) => f.backlog),
    problems: rounds.flatMap((f, i) => f.problems.map((p) => `round ${i + 1}: ${p}`)),
  };
}

function rows(r: Figures, k: Figures): Row[] {
  const latencyRow = (label: string, pick: (s: Summary) => number): Row => ({
    label,
    baseline: ms(pick(r.latency)),
    kiln: ms(pick(k.latency)),
    // Both can be 0 ms at the resolution of `ts`; count that as even rather than infinitely better.
    ratio: lowerIsBetter(Math.max(1, pick(k.latency)), Math.max(1, pick(r.latency))),
  });
  const s = (valueMs: number): string => `${(valueMs / 1000).toFixed(1)} s`;
  const pct = (share: number): string => `${(share * 100).toFixed(0)} %`;
  return [
    latencyRow('latency p50 (written to parsed)', (x) => x.p50),
    latencyRow('latency p95', (x) => x.p95),
    latencyRow('latency p99', (x) => x.p99),
    latencyRow('latency max', (x) => x.max),
    {
      label: 'lines delivered per second',
      baseline: r.linesPerSecond.toFixed(0),
      kiln: k.linesPerSecond.toFixed(0),
      ratio: higherIsBetter(k.linesPerSecond, r.linesPerSecond),
    },
    {
      label: 'lines delivered (live + history)',
      baseline: String(r.linesDelivered),
      kiln: String(k.linesDelivered),
    },
    {
      label: 'server CPU while following',
      baseline: s(r.serverCpuMs),
      kiln: s(k.serverCpuMs),
      ratio: lowerIsBetter(k.serverCpuMs, r.serverCpuMs),
    },
    { label: 'clients process CPU', baseline: s(r.clientsCpuMs), kiln: s(k.clientsCpuMs) },
    { label: 'clients event-loop delay p99', baseline: ms(r.loopDelayP99Ms), kiln: ms(k.loopDelayP99Ms) },
    { label: 'machine CPU busy', baseline: pct(r.machineBusy), kiln: pct(k.machineBusy) },
    {
      label: 'every client got every line, in order',
      baseline: r.problems.length === 0 ? 'pass' : 'FAIL',
      kiln: k.problems.length === 0 ? 'pass' : 'FAIL',
    },
  ];
}

export async function runFollowBench(): Promise<void> {
  const load: Load = {
    clients: envCount('KILN_BENCH_FOLLOW_CLIENTS', 200),
    logs: envCount('KILN_BENCH_FOLLOW_BUILDS', 10),
    lines: envCount('KILN_BENCH_FOLLOW_LINES', 300),
    intervalMs: envCount('KILN_BENCH_FOLLOW_INTERVAL_MS', 50),
  };
  const roundsWanted = envCount('KILN_BENCH_FOLLOW_ROUNDS', 3);
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-follow-'));
  const kiln = await startKilnSide(load, join(work, 'data'));
  const results = { relay: [] as Figures[], kiln: [] as Figures[] };
  try {
    for (let round = 0; round < roundsWanted; round++) {
      // Alternating who goes first, so neither always runs on a warmer (or busier) machine.
      const order = round % 2 === 0 ? (['relay', 'kiln'] as const) : (['kiln', 'relay'] as const);
      for (const side of order) {
        log(
          `round ${round + 1}/${roundsWanted}: ${side}, ${load.clients} clients x ${load.logs} logs x ${load.lines} lines`,
        );
        const result = side === 'relay' ? await runRelaySide(load) : await kiln.round();
        const f = figures(result, load);
        log(`  p50 ${ms(f.latency.p50)}, p99 ${ms(f.latency.p99)}, load average ${loadavg()[0]!.toFixed(2)}`);
        results[side].push(f);
      }
    }
  } finally {
    await kiln.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const r = medianOf(results.relay);
  const k = medianOf(results.kiln);
  console.log(
    renderTable(
      `following live logs: ${load.clients} clients x ${load.logs} running builds, ${load.lines} lines each every ${load.intervalMs} ms (${cpus().length} cores; median of ${roundsWanted} rounds)`,
      'Node relay',
      rows(r, k),
    ),
  );
  for (const [name, f] of [
    ['relay', r],
    ['kiln', k],
  ] as const) {
    for (const problem of f.problems) console.log(`  ${name}: ${problem}`);
  }
  if (k.backlog + r.backlog > 0)
    console.log(
      `  lines stored before their follower connected (history, not in the latencies): relay ${r.backlog}, kiln ${k.backlog}`,
    );
  console.log(
    `  kiln p99 ${ms(k.latency.p99)}: goal < ${P99_GOAL_MS} ms ${k.latency.p99 < P99_GOAL_MS ? 'met' : 'missed'}; every line to every client: ${k.problems.length === 0 ? 'met' : 'missed'}`,
  );
  console.log(
    `  kiln p99 per round: ${results.kiln.map((f) => ms(f.latency.p99)).join(', ')}; relay: ${results.relay.map((f) => ms(f.latency.p99)).join(', ')}`,
  );
  const loadAfter = loadavg();
  console.log(
    `  machine load average (1 min) before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)}`,
  );

  const pushes = envCount('KILN_BENCH_BURST_PUSHES', 50);
  log(`a burst of ${pushes} pushes to one branch`);
  const burstWork = mkdtempSync(join(tmpdir(), 'kiln-bench-burst-'));
  try {
    await runBurstBench(burstWork, pushes);
  } finally {
    rmSync(burstWork, { recursive: true, force: true });
  }
}
