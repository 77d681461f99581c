import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { drvExpr } from '../helpers/nix.js';

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
