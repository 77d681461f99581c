import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { BuildView } from '../../src/api/index.js';
import { verifySignature } from '../../src/webhooks/index.js';
import { mkdirSync } from 'node:fs';
import { bareClone, makeRepo } from '../helpers/git-repos.js';
import { startGitHttpServer } from '../helpers/git-server.js';
import { startTestApp } from '../helpers/kiln-app.js';
import { nonce, waitFor } from '../helpers/nix.js';
import { tempDir } from '../helpers/tmp.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP server on loopback standing in for the webhook receiver and the forge's API. */
async function receiver(t: TestContext): Promise<{ url: string; requests: Received[] }> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const FLAKE = (tag: string): string => `{
  outputs = { self }: {
    packages.x86_64-linux.hello = derivation {
      name = "hello"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" "echo hello > $out" ];
    };
    checks.x86_64-linux.broken = derivation {
      name = "broken"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" "echo failing on purpose; exit 1" ];
    };
  };
}
`;

describe('projects: a finished run is announced (real kiln, Nix, git, HTTP)', { timeout: 240_000 }, () => {
  it('posts a signed run.finished and Gitea commit statuses for the pushed commit', async (t) => {
    const hooks = await receiver(t);
    const forge = await receiver(t);
    const app = await startTestApp(t, { publicUrl: 'https://kiln.example.com' });
    const dir = tempDir(t, 'kiln-e2e-notify-');
    const repo = join(dir, 'work');
    const [sha] = makeRepo(repo, [
      {
        subject: 'A flake with a failing check',
        author: 'Ada Lovelace',
        email: 'ada@example.org',
        date: '2024-03-01T10:00:00+00:00',
        files: { 'flake.nix': FLAKE(nonce()) },
      },
    ]);
    assert.ok(sha);
    // Served as a forge serves it, at OWNER/REPO.git, behind a token.
    mkdirSync(join(dir, 'served', 'acme'), { recursive: true });
    bareClone(repo, join(dir, 'served', 'acme', 'web.git'));
    const gitServer = await startGitHttpServer({ projectRoot: join(dir, 'served'), password: 'git-token' });
    t.after(() => gitServer.close());
    const created = await app.app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: app.auth,
      payload: {
        name: 'web',
        repoUrl: `${gitServer.url}/acme/web.git`,
        credentials: { token: 'git-token' },
        notify: { url: `${hooks.url}/kiln`, commitStatus: { forge: 'gitea', apiUrl: `${forge.url}/api/v1` } },
        statusToken: 'gitea-token-123',
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { notifySecret } = created.json<{ notifySecret: string }>();
    const run = await app.app.inject({
      method: 'POST',
      url: '/api/v1/projects/web/builds',
      headers: app.auth,
      payload: { branch: 'main' },
    });
    assert.equal(run.statusCode, 201, run.body);
    const [evaluation] = run.json<{ builds: BuildView[] }>().builds;
    assert.ok(evaluation);

    const delivery = await waitFor(() => Promise.resolve(hooks.requests[0]), {
      timeoutMs: 180_000,
      what: 'the run.finished webhook',
    });
    assert.equal(delivery.path, '/kiln');
    assert.equal(delivery.headers['x-kiln-event'], 'run.finished');
    assert.ok(
      verifySignature(notifySecret, delivery.body, String(delivery.headers['x-kiln-signature-256'])),
      'signed with the project notify secret',
    );
    const event = JSON.parse(delivery.body.toString()) as Record<string, unknown>;
    assert.equal(event['project'], 'web');
    assert.equal(JSON.stringify(event).includes(sha), true, 'names the commit');
    assert.match(JSON.stringify(event), /"failed"/);
    assert.match(JSON.stringify(event), /https:\/\/kiln\.example\.com\/groups\//);

    const statuses = await waitFor(
      () => {
        const bodies = forge.requests.map((r) => JSON.parse(r.body.toString()) as { state: string });
        return Promise.resolve(
          bodies.some((b) => b.state !== 'pending') ? { bodies, requests: forge.requests } : undefined,
        );
      },
      { timeoutMs: 30_000, what: 'the final commit status' },
    );
    for (const request of statuses.requests) {
      assert.equal(request.path, `/api/v1/repos/acme/web/statuses/${sha}`);
      assert.equal(request.headers['authorization'], 'token gitea-token-123');
    }
    assert.equal(statuses.bodies[0]?.state, 'pending');
    assert.equal(statuses.bodies.at(-1)?.state, 'failure');
    assert.equal(hooks.requests.length, 1, 'one run.finished per run');
  });
});
