/**
 * Part two of the follow benchmark (issue 7): a burst of pushes to one branch through a project's
 * GitHub webhook on a real `kiln serve`. The concurrency group must leave exactly one run running
 * and at most one pending at every moment, the newest push must be built, and the others
 * superseded. Reference, same run: the same signed posts to a minimal Node endpoint that only
 * verifies the signature (bench/follow/hook-floor.ts).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from '../../test/helpers/git-repos.js';
import { repoRoot } from '../../test/helpers/paths.js';
import { startServerProcess } from '../../test/helpers/server-process.js';
import { lowerIsBetter, ms, renderTable } from '../cache/report.js';
import { startNodeServer } from './procs.js';

interface Run {
  id: string;
  groupId: string | null;
  status: string;
}

function flake(tag: string): string {
  return `{
  outputs = { self }: {
    packages.x86_64-linux.hello = derivation {
      name = "hello"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" "sleep 2; echo hello > $out" ];
    };
  };
}
`;
}

function githubPush(ref: string, sha: string): Buffer {
  const file = join(repoRoot, 'test', 'fixtures', 'forge-payloads', 'github-push.json');
  const body = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...body, ref, after: sha }));
}

/** Posts `count` signed deliveries at once; returns the statuses and the time until all answered. */
async function burst(
  url: string,
  body: Buffer,
  secret: string,
  count: number,
): Promise<{ statuses: number[]; ms: number }> {
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const start = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: count }, async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  return { statuses, ms: performance.now() - start };
}

const ACTIVE = new Set(['running']);

export async function runBurstBench(work: string, pushes: number): Promise<void> {
  const repo = join(work, 'burst-repo');
  const [sha] = makeRepo(repo, [
    {
      subject: 'A flake',
      author: 'A',
      email: 'a@example.org',
      date: '2024-03-01T10:00:00+00:00',
      files: { 'flake.nix': flake(randomBytes(6).toString('hex')) },
    },
  ]);
  const server = await startServerProcess(join(work, 'burst-data'), [], { KILN_GIT_ALLOW_LOCAL: '1' });
  const floorSecret = randomBytes(16).toString('hex');
  const floor = await startNodeServer('hook-floor.js', floorSecret);
  const auth = { authorization: `Bearer ${server.token}` };
  const problems: string[] = [];
  try {
    const created = await fetch(`${server.url}/api/v1/projects`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'burst', repoUrl: `file://${repo}`, branches: ['main'] }),
    });
    if (created.status !== 201) throw new Error(`project create: ${created.status} ${await created.text()}`);
    const { webhookSecret } = (await created.json()) as { webhookSecret: string };
    const body = githubPush('refs/heads/main', sha!);
    const reference = await burst(floor.url, body, floorSecret, pushes);

    // Watch the runs (top-level builds of the project) while the burst lands and until all settle.
    let maxRunning = 0;
    let maxPending = 0;
    let watching = true;
    let runs: Run[] = [];
    const list = async (): Promise<Run[]> => {
      const res = await fetch(`${server.url}/api/v1/builds?projectId=burst&limit=500`, { headers: auth });
      return ((await res.json()) as { builds: Run[] }).builds.filter(
        (b) => b.groupId === null || b.groupId === b.id,
      );
    };
    const watcher = (async () => {
      while (watching) {
        runs = await list();
        maxRunning = Math.max(maxRunning, runs.filter((r) => ACTIVE.has(r.status)).length);
        maxPending = Math.max(maxPending, runs.filter((r) => r.status === 'pending').length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const kiln = await burst(`${server.url}/api/v1/hooks/projects/burst`, body, webhookSecret, pushes);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      if (runs.length >= pushes && runs.every((r) => !ACTIVE.has(r.status) && r.status !== 'pending')) break;
    }
    watching = false;
    await watcher;
    runs = await list();
    const count = (status: string): number => runs.filter((r) => r.status === status).length;
    if (new Set(kiln.statuses).size !== 1 || kiln.statuses[0] !== 202)
      problems.push(`webhook answers: ${[...new Set(kiln.statuses)].join(', ')}`);
    if (runs.length !== pushes) problems.push(`${runs.length} runs for ${pushes} pushes`);
    if (maxRunning !== 1) problems.push(`at most ${maxRunning} runs running at once, expected exactly 1`);
    if (maxPending > 1) problems.push(`up to ${maxPending} runs pending at once`);
    const built = count('succeeded');
    if (built < 1 || built > 2 || count('superseded') !== pushes - built)
      problems.push(
        `final: ${built} succeeded, ${count('superseded')} superseded, ${runs.length - built - count('superseded')} other`,
      );
    console.log(
      renderTable(`a burst of ${pushes} signed GitHub pushes to one branch of a project`, 'Node HMAC check', [
        {
          label: `all ${pushes} answered`,
          baseline: ms(reference.ms),
          kiln: ms(kiln.ms),
          ratio: lowerIsBetter(kiln.ms, reference.ms),
        },
        { label: 'most runs running at once', baseline: '-', kiln: String(maxRunning) },
        { label: 'most runs pending at once', baseline: '-', kiln: String(maxPending) },
        { label: 'runs built / superseded', baseline: '-', kiln: `${built} / ${count('superseded')}` },
        {
          label: 'one running, at most one pending',
          baseline: '-',
          kiln: problems.length === 0 ? 'pass' : 'FAIL',
        },
      ]),
    );
    for (const problem of problems) console.log(`  burst: ${problem}`);
  } finally {
    await floor.stop();
    await server.stop();
  }
}
