import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRepo } from '../helpers/git-repos.js';
import { tempDir } from '../helpers/tmp.js';
import { drvExpr } from '../helpers/nix.js';
import { startRegistry } from '../helpers/registry.js';

describe("library API (import from 'kiln')", () => {
  it("covers seed 002's NixBuildService operations without the HTTP server", async (t) => {
    // The package's own name resolves through package.json "exports", as it will for users.
    const kiln = await import('kiln');
    const dataDir = tempDir(t);
    const service = await kiln.NixBuildService.open({ dataDir, queue: { pollMs: 100 } });

    const build = await service.buildFromNixExpression({
      serviceId: 'service-123',
      nixExpression: drvExpr('echo "env is $NODE_ENV"; echo "$NODE_ENV" > $out'),
      environmentVars: { NODE_ENV: 'production' },
      buildTimeout: 2400,
    });
    assert.equal(build.timeoutSeconds, 2400);
    const done = await service.waitForBuild(build.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(readFileSync(done.outputs[0]!, 'utf8').trim(), 'production');
    assert.ok((await service.getBuildLogs(build.id)).some((l) => l.text === 'env is production'));
    assert.equal((await service.getBuildStatus(build.id)).status, 'succeeded');

    const slow = await service.buildFromNixExpression({
      serviceId: 'service-123',
      nixExpression: drvExpr('sleep 60; touch $out'),
    });
    const cancelled = await service.cancelBuild(slow.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await service.waitForBuild(slow.id)).status, 'cancelled');

    const stats = await service.getBuildStatistics('service-123');
    assert.equal(stats.total, 2);
    assert.equal(stats.successRate, 100, 'a cancelled build is not a failure');
    assert.equal(stats.byStatus['cancelled'], 1);
    // Seed 002 reads averageBuildTime in seconds; no build pushed an image, so no image figures.
    assert.equal(stats.averageBuildTime, (stats.averageBuildTimeMs ?? NaN) / 1000);
    assert.deepEqual(
      [stats.averageImageSize, stats.averageBytesPushed, stats.lastGoodImage],
      [null, null, null],
    );
    assert.equal((await service.listBuilds({ serviceId: 'service-123' })).length, 2);

    await assert.rejects(
      service.buildFromNixExpression({ nixExpression: drvExpr('touch $out'), buildTimeout: 4000 }),
      (e: unknown) => e instanceof kiln.KilnError && e.code === 'KILN_ERR_TIMEOUT_RANGE',
    );
    const cleaned = await service.cleanupOldBuilds(30);
    assert.equal(cleaned.deletedBuilds, 0);
    await service.close(); // before the temporary directory goes: it waits for the workers
  });
});

describe("library API: seed 002's BuildPipeline (import from 'kiln')", () => {
  it('executePipeline pushes an image of a build, moves current, and reports a failure without moving it', async (t) => {
    const kiln = await import('kiln');
    const registry = await startRegistry(t);
    const dataDir = tempDir(t);
    const service = await kiln.NixBuildService.open({
      dataDir,
      queue: { pollMs: 100 },
      registry: { url: `http://${registry.host}`, attempts: 1 },
    });
    const build = await service.buildFromNixExpression({
      serviceId: 'service-123',
      nixExpression: drvExpr('mkdir -p $out/bin; echo hi > $out/bin/app'),
    });
    const done = await service.waitForBuild(build.id);
    const result = await service.executePipeline({
      serviceId: 'service-123',
      organizationId: 'org-456',
      slug: 'my-app',
      nixResultPath: done.outputs[0]!,
      buildId: build.id,
    });
    assert.equal(result.success, true, result.error ?? '');
    assert.equal(result.imageTag, 'org-456/my-app:latest');
    const inspect = (tag: string): string =>
      (
        JSON.parse(
          execFileSync(
            'skopeo',
            ['inspect', '--tls-verify=false', `docker://${registry.host}/org-456/my-app:${tag}`],
            {
              encoding: 'utf8',
            },
          ),
        ) as { Digest: string }
      ).Digest;
    assert.equal(inspect('latest'), result.imageDigest);
    assert.equal(inspect('current'), result.imageDigest);
    const stats = await service.getBuildStatistics('service-123');
    assert.equal(stats.lastGoodImage?.digest, result.imageDigest);

    await registry.kill();
    const failed = await service.executePipeline({
      slug: 'my-app',
      organizationId: 'org-456',
      buildId: build.id,
      tag: 'v2',
    });
    assert.equal(failed.success, false);
    assert.match(failed.error ?? '', /registry/);
    await registry.restart();
    assert.equal(inspect('current'), result.imageDigest, 'current is unchanged');
    await service.close();
  });
});

describe("library API for Git and templates (import from 'kiln')", () => {
  it("covers seed 002's GitIntegration and the Git and template builds", async (t) => {
    const kiln = await import('kiln');
    const dir = tempDir(t);
    const repo = join(dir, 'repo');
    const [sha] = makeRepo(repo, [
      {
        subject: 'A plain default.nix',
        author: 'Ada Lovelace',
        email: 'ada@example.org',
        date: '2024-03-01T10:00:00+00:00',
        files: { 'default.nix': `{ app = ${drvExpr('echo "$NODE_ENV" > $out')}; }\n` },
      },
    ]);
    const git = new kiln.GitIntegration({ policy: { allowLocal: true } });
    assert.equal(git.validateGitUrl(`file://${repo}`).kind, 'file');
    assert.throws(
      () => git.validateGitUrl('ext::sh -c id'),
      (e: unknown) => e instanceof kiln.KilnError,
    );
    assert.equal((await git.validateBranchAccess(`file://${repo}`, 'main')).commit, sha);
    const cloned = await git.cloneRepository(`file://${repo}`, join(dir, 'clone'), { branch: 'main' });
    assert.equal(cloned.commit, sha);
    const info = await git.getCommitInfo(cloned.dir, sha);
    assert.deepEqual([info.author, info.subject], ['Ada Lovelace', 'A plain default.nix']);

    const service = await kiln.NixBuildService.open({
      dataDir: join(dir, 'data'),
      queue: { pollMs: 100 },
      git: { allowLocal: true },
    });
    t.after(() => service.close());
    const fromGit = await service.buildFromGitRepository({
      serviceId: 'service-123',
      repoUrl: `file://${repo}`,
      branch: 'main',
      attr: 'app',
      environmentVars: { NODE_ENV: 'production' },
    });
    const built = await service.waitForBuild(fromGit.id);
    assert.equal(built.status, 'succeeded', built.error ?? '');
    assert.equal(built.commit?.sha, sha);
    assert.equal(readFileSync(built.outputs[0]!, 'utf8').trim(), 'production');

    const fromTemplate = await service.buildFromTemplate({
      serviceId: 'service-123',
      templateId: 'shell-service',
      parameters: { name: 'greeter' },
      customizations: { environmentVars: { PORT: '8080' } },
    });
    const rendered = await service.waitForBuild(fromTemplate.id);
    assert.equal(rendered.status, 'succeeded', rendered.error ?? '');
    assert.equal(rendered.source.kind, 'template');
  });
});
