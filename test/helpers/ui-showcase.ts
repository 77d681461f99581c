import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ApiBuild, KilnApi } from './browser.js';
import { makeRepo } from './git-repos.js';
import { drvExpr } from './nix.js';

/**
 * Realistic data for the web UI's pages and their screenshots: a project built from a local Git
 * repository by a (signed) GitHub push webhook as a matrix of two attributes for two systems,
 * succeeded and failed builds, a running build with a long coloured log, and a cache with tokens
 * and some hits. Everything goes through kiln's public
 * HTTP API with real Nix builds.
 */
export interface Showcase {
  /** How many builds the list shows at least. */
  buildCount: number;
  runningId: string;
  succeededId: string;
  failedId: string;
  /** A matrix group: what each of its builds is, so a page can be checked for all of them. */
  groupId: string;
  groupAttrs: string[];
  groupSystems: string[];
  projectName: string;
  cacheName: string;
}

const PROJECT = 'webapp';
const CACHE = 'main';
const WEBHOOK_SECRET = 'showcase-webhook-secret';
const ATTRS = ['webapp', 'docs'];
const SYSTEMS = ['x86_64-linux', 'i686-linux'];

/** A busybox derivation written into the repository's default.nix (`system` is its argument). */
const nixDrv = (name: string, script: string): string =>
  `derivation { name = "${name}"; inherit system; builder = "/bin/sh"; ` +
  `PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(script)} ]; }`;

const defaultNix = (version: string): string => `{ system ? builtins.currentSystem }: {
  webapp = ${nixDrv(`webapp-${version}`, `echo "bundling webapp ${version} for ${'$'}{system}"; for f in index app vendor; do echo "  dist/$f.js"; done; mkdir -p $out; echo ${version} > $out/version`)};
  docs = ${nixDrv(`webapp-docs-${version}`, 'echo "rendering 42 pages"; mkdir -p $out; echo docs > $out/index.html')};
}
`;

/** About 130 coloured lines like a compiler's, then it keeps running (the server's stop ends it). */
const runningScript = String.raw`
printf '\033[1;34m==>\033[0m unpacking source archive\n'
printf '\033[1;34m==>\033[0m configuring for x86_64-linux\n'
for i in $(seq 1 120); do
  printf '\033[32m[%3d%%]\033[0m compiling src/engine/module_%03d.c\n' $((i * 100 / 120)) $i
  if [ $((i % 23)) = 0 ]; then
    printf '\033[33mwarning:\033[0m module_%03d.c: unused variable tmp [-Wunused-variable]\n' $i
  fi
done
printf '\033[1;34m==>\033[0m linking engine (this takes a while)\n'
sleep 600
echo ok > $out
`;

const failingScript = String.raw`
echo "checking for gcc... gcc"
echo "checking for openssl >= 3.0... no"
printf '\033[31merror:\033[0m ld: cannot find -lssl\n' >&2
exit 1
`;

export async function seedShowcase(api: KilnApi, baseUrl: string, reposDir: string): Promise<Showcase> {
  const repo = join(reposDir, PROJECT);
  const [, head] = makeRepo(repo, [
    {
      subject: 'webapp 1.4.1',
      author: 'Ada Lovelace',
      email: 'ada@example.org',
      date: '2026-11-20T09:12:00+00:00',
      files: { 'default.nix': defaultNix('1.4.1') },
    },
    {
      subject: 'Bump webapp to 1.4.2: faster bundling',
      author: 'Grace Hopper',
      email: 'grace@example.org',
      date: '2026-11-21T16:40:00+00:00',
      files: { 'default.nix': defaultNix('1.4.2') },
    },
  ]);
  const repoUrl = `file://${repo}`;

  await json(api.request('POST', '/api/v1/caches', { name: CACHE }), 'create cache');
  for (const [perm, description] of [
    ['pull', 'CI runners'],
    ['push', 'release pipeline'],
  ] as const)
    await json(api.request('POST', '/api/v1/tokens', { cache: CACHE, perm, description }), 'create token');
  await json(
    api.request('POST', '/api/v1/projects', {
      name: PROJECT,
      repoUrl,
      branches: ['main', 'release/*'],
      build: { kind: 'attrs', attrs: ATTRS },
      systems: SYSTEMS,
      pushCache: CACHE,
      webhookSecret: WEBHOOK_SECRET,
    }),
    'create project',
  );

  const submitted: ApiBuild[] = [];
  const submit = async (body: Record<string, unknown>): Promise<ApiBuild[]> => {
    const builds = (await json<{ builds: ApiBuild[] }>(api.request('POST', '/api/v1/builds', body), 'submit'))
      .builds;
    submitted.push(...builds);
    return builds;
  };
  const expr = (name: string, script: string): Record<string, unknown> => ({
    source: { kind: 'expr', expression: drvExpr(script, { name }) },
  });

  // A push to main, as GitHub delivers it: the project's matrix (two attributes, two systems).
  const pushed = await json<{ builds: ApiBuild[] }>(pushHook(baseUrl, repoUrl, head ?? ''), 'push webhook');
  submitted.push(...pushed.builds);
  const [webapp] = await submit({
    source: { kind: 'git', url: repoUrl, ref: 'main', attr: 'webapp' },
    push: CACHE,
  });
  const [failed] = await submit(expr('api-server-2.0.0', failingScript));
  await submit(expr('hello-2.12', 'echo "hello, world"; echo hi > $out'));
  const [running] = await submit(expr('engine-3.1.0', runningScript));
  const groupId = pushed.builds.find((b) => b.groupId !== null)?.groupId;
  if (!webapp || !failed || !running || !groupId) throw new Error('the showcase builds were not queued');

  const finished = ['succeeded', 'failed', 'cancelled', 'superseded', 'dependency_failed'];
  const groupBuilds = async (): Promise<ApiBuild[]> =>
    (
      await json<{ builds: ApiBuild[] }>(
        api.request('GET', `/api/v1/builds?groupId=${groupId}&limit=100`),
        'group',
      )
    ).builds;
  for (const build of [...submitted, ...(await groupBuilds())])
    if (build.id !== running.id) await api.waitForStatus(build.id, finished, 90_000);
  await api.waitForStatus(running.id, ['running']);

  // Cache traffic: the pushed output is substituted (narinfo hits, NARs served) and one path that is
  // not there is asked for (a miss).
  const built = await api.get(webapp.id);
  const hashPart = (built.outputs[0] ?? '').slice('/nix/store/'.length, '/nix/store/'.length + 32);
  const cacheUrl = (path: string): URL => new URL(`/cache/${CACHE}/${path}`, baseUrl);
  for (let i = 0; i < 5; i++) {
    const narinfo = await (await fetch(cacheUrl(`${hashPart}.narinfo`))).text();
    const narPath = /^URL: (\S+)$/m.exec(narinfo)?.[1];
    if (!narPath) throw new Error(`the pushed output is not in the cache: ${narinfo}`);
    await (await fetch(cacheUrl(narPath))).arrayBuffer();
  }
  await (await fetch(cacheUrl(`${'0'.repeat(32)}.narinfo`))).text();

  const listed = await json<{ builds: ApiBuild[] }>(api.request('GET', '/api/v1/builds?limit=100'), 'list');
  return {
    buildCount: listed.builds.length,
    runningId: running.id,
    succeededId: webapp.id,
    failedId: failed.id,
    groupId,
    groupAttrs: ATTRS,
    groupSystems: SYSTEMS,
    projectName: PROJECT,
    cacheName: CACHE,
  };
}

/** GitHub's push event for `main` at `commit`, signed with the project's webhook secret. */
function pushHook(baseUrl: string, repoUrl: string, commit: string): Promise<Response> {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: commit,
    repository: { full_name: 'acme/webapp', clone_url: repoUrl, html_url: 'https://github.com/acme/webapp' },
    pusher: { name: 'grace', email: 'grace@example.org' },
    head_commit: {
      id: commit,
      message: 'Bump webapp to 1.4.2: faster bundling',
      timestamp: '2026-11-21T16:40:00+00:00',
      author: { name: 'Grace Hopper', email: 'grace@example.org', username: 'grace' },
    },
  });
  const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
  return fetch(new URL(`/api/v1/hooks/projects/${PROJECT}`, baseUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
  });
}

async function json<T = unknown>(response: Promise<Response>, what: string): Promise<T> {
  const res = await response;
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
