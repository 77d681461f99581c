import type { TestContext } from 'node:test';
import { buildApiServer, type BuildView } from '../../src/api/index.js';
import { waitFor } from './nix.js';
import { apiDepsFor, createKiln, type CreateKilnOptions, type Kiln } from '../../src/main/index.js';
import { ensureAdminToken } from '../../src/tokens/index.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export interface TestApp {
  kiln: Kiln;
  app: FastifyInstance;
  token: string;
  auth: { authorization: string };
  dataDir: string;
}

/** A real kiln core (SQLite, real Nix, workers) behind the real Fastify app, for inject() tests. */
export async function startTestApp(
  t: TestContext,
  config: Omit<CreateKilnOptions, 'dataDir'> = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-api-'));
  const kiln = await createKiln({
    ...config,
    dataDir,
    queue: { pollMs: 100, heartbeatMs: 500, ...config.queue },
  });
  const tokenPath = join(dataDir, 'admin.token');
  await ensureAdminToken(kiln.store.tokens, tokenPath, Date.now());
  const app = await buildApiServer(apiDepsFor(kiln, { logPollMs: 100 }));
  // One hook, in this order: workers stop (and their Nix processes end) before the files go.
  t.after(async () => {
    await app.close();
    await kiln.close();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
  });
  const token = readFileSync(tokenPath, 'utf8').trim();
  return { kiln, app, token, auth: { authorization: `Bearer ${token}` }, dataDir };
}

/** Polls the API until the build has finished (any terminal status) and returns its record. */
export function finishedBuild(app: TestApp, id: string, timeoutMs = 120_000): Promise<BuildView> {
  return waitFor(
    async () => {
      const view = (
        await app.app.inject({ url: `/api/v1/builds/${id}`, headers: app.auth })
      ).json<BuildView>();
      return view.finishedAt !== null ? view : undefined;
    },
    { timeoutMs, what: `build ${id} to finish` },
  );
}
