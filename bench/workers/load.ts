/**
 * The load of the workers benchmark, through the public API of the process that takes submissions:
 * many distinct trivial builds at once (a queue), or one at a time on an idle cluster. Times come
 * from the build records (createdAt, startedAt, finishedAt), stamped by the servers themselves.
 */
import type { ServerProcess } from '../../test/helpers/server-process.js';

/** A distinct trivial derivation: `nonce` makes each run (and each deployment) build anew. */
export function trivialDrv(name: string, nonce: string): string {
  return `derivation { name = "${name}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ${name} > $out" ]; nonce = "${nonce}"; }`;
}

export interface BuildTimes {
  id: string;
  status: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

interface BuildJson {
  id: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const SETTLED = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'superseded', 'dependency_failed']);

function times(build: BuildJson): BuildTimes {
  const at = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
  return {
    id: build.id,
    status: build.status,
    createdAt: Date.parse(build.createdAt),
    startedAt: at(build.startedAt),
    finishedAt: at(build.finishedAt),
  };
}

async function call<T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function submit(server: ServerProcess, expression: string): Promise<string> {
  const { builds } = await call<{ builds: BuildJson[] }>(server, 'POST', '/api/v1/builds', {
    source: { kind: 'expr', expression },
  });
  return builds[0]!.id;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Submits `count` builds as fast as the API takes them (at most `inFlight` requests open at once;
 * the API has no batch submission) and waits until none is pending or running.
 * Returns every build of the deployment (the database is fresh) and when all were submitted.
 */
export async function runQueued(
  server: ServerProcess,
  count: number,
  nonce: string,
  inFlight: number,
  timeoutMs: number,
): Promise<{ builds: BuildTimes[]; submittedMs: number; wallMs: number }> {
  const start = performance.now();
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      await submit(server, trivialDrv(`t-${n}`, nonce));
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, sender));
  const submittedMs = performance.now() - start;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await call<{ builds: BuildJson[] }>(
      server,
      'GET',
      '/api/v1/builds?status=pending,running&limit=1',
    );
    if (live.builds.length === 0) break;
    if (Date.now() > deadline) throw new Error(`builds still pending or running after ${timeoutMs} ms`);
    await sleep(100);
  }
  const wallMs = performance.now() - start;
  return { builds: await listAll(server), submittedMs, wallMs };
}

/** A build submitted alone, with when its submission was answered (this machine's clock). */
export interface IdleBuild extends BuildTimes {
  answeredAt: number;
}

/**
 * Submits `count` builds one at a time, each when the one before has finished. createdAt is
 * stamped when the submission arrives, before its evaluation; the build is queued just before the
 * answer, so start - answeredAt is the time from queued to started (at most a few ms less).
 */
export async function runIdle(
  server: ServerProcess,
  count: number,
  nonce: string,
  timeoutMs: number,
): Promise<IdleBuild[]> {
  const result: IdleBuild[] = [];
  for (let n = 0; n < count; n++) {
    const id = await submit(server, trivialDrv(`idle-${n}`, nonce));
    const answeredAt = Date.now();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const build = await call<BuildJson>(server, 'GET', `/api/v1/builds/${id}`);
      if (SETTLED.has(build.status)) {
        result.push({ ...times(build), answeredAt });
        break;
      }
      if (Date.now() > deadline) throw new Error(`build ${id} not finished after ${timeoutMs} ms`);
      await sleep(20);
    }
  }
  return result;
}

/** Every build of the deployment, through the paged list. */
async function listAll(server: ServerProcess): Promise<BuildTimes[]> {
  const all: BuildTimes[] = [];
  let before: number | null = null;
  do {
    const page: { builds: BuildJson[]; nextBefore: number | null } = await call(
      server,
      'GET',
      `/api/v1/builds?limit=500${before === null ? '' : `&before=${before}`}`,
    );
    all.push(...page.builds.map(times));
    before = page.nextBefore;
  } while (before !== null);
  return all;
}
