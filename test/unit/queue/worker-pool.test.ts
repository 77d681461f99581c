import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWorkerPool, LEASE_LOST_REASON } from '../../../src/queue/index.js';

interface TestJob {
  id: string;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('worker pool', () => {
  it('runs at most `concurrency` jobs and claims again as slots free up', async () => {
    const queue: TestJob[] = Array.from({ length: 5 }, (_, i) => ({ id: `j${i}` }));
    const gates = new Map(queue.map((j) => [j.id, deferred()]));
    let peak = 0;
    let inFlight = 0;
    const done: string[] = [];
    const pool = createWorkerPool<TestJob>({
      concurrency: 2,
      pollMs: 10_000,
      heartbeatMs: 10_000,
      leaseMs: 30_000,
      claim: () => Promise.resolve(queue.shift()),
      renew: () => Promise.resolve(true),
      execute: async (job) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await gates.get(job.id)!.promise;
        inFlight--;
        done.push(job.id);
      },
      onError: (e) => assert.fail(String(e)),
    });
    pool.start();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.active, 2);
    for (const id of ['j0', 'j1', 'j2', 'j3', 'j4']) {
      gates.get(id)!.resolve();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(done, ['j0', 'j1', 'j2', 'j3', 'j4']);
    assert.equal(peak, 2);
    await pool.stop();
  });

  it('aborts a job whose lease renewal fails', async () => {
    let claimed = false;
    let abortedWith = '';
    const pool = createWorkerPool<TestJob>({
      concurrency: 1,
      pollMs: 10_000,
      heartbeatMs: 20,
      leaseMs: 30_000,
      claim: () => Promise.resolve(claimed ? undefined : ((claimed = true), { id: 'lease' })),
      renew: () => Promise.resolve(false),
      execute: (_job, signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            abortedWith = (signal.reason as Error).message;
            resolve();
          }),
        ),
      onError: (e) => assert.fail(String(e)),
    });
    pool.start();
    await new Promise((r) => setTimeout(r, 100));
    assert.match(abortedWith, /lease lost/);
    await pool.stop();
  });

  it('aborts a job as lost when renewals keep failing for longer than the lease, and not before', async () => {
    let clock = 0;
    let renewals = 0;
    let failing = false;
    let abortedWith = '';
    let claimed = false;
    const errors: unknown[] = [];
    const pool = createWorkerPool<TestJob>({
      concurrency: 1,
      pollMs: 10_000,
      heartbeatMs: 10,
      leaseMs: 1_000,
      now: () => clock,
      claim: () => Promise.resolve(claimed ? undefined : ((claimed = true), { id: 'db-down' })),
      renew: () => {
        renewals++;
        return failing ? Promise.reject(new Error('connection refused')) : Promise.resolve(true);
      },
      execute: (_job, signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            abortedWith = (signal.reason as Error).message;
            resolve();
          }),
        ),
      onError: (e) => errors.push(e),
    });
    const tick = () => new Promise((r) => setTimeout(r, 40));
    pool.start();
    await tick();
    // Healthy renewals: the lease keeps being extended however much time passes.
    for (let i = 0; i < 5; i++) {
      clock += 900;
      await tick();
    }
    assert.equal(abortedWith, '');
    assert.ok(renewals > 0);
    // The database goes away: errors are reported, the job keeps running while the lease lasts...
    failing = true;
    clock += 500;
    await tick();
    assert.equal(abortedWith, '');
    assert.ok(errors.length > 0);
    // ...and is aborted as lost once it would have expired.
    clock += 600;
    await tick();
    assert.equal(abortedWith, LEASE_LOST_REASON);
    await pool.stop();
  });

  it('aborts one job on request and all running jobs on stop', async () => {
    const jobs = [{ id: 'a' }, { id: 'b' }];
    const reasons = new Map<string, string>();
    const pool = createWorkerPool<TestJob>({
      concurrency: 2,
      pollMs: 10_000,
      heartbeatMs: 10_000,
      leaseMs: 30_000,
      claim: () => Promise.resolve(jobs.shift()),
      renew: () => Promise.resolve(true),
      execute: (job, signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            reasons.set(job.id, (signal.reason as Error).message);
            resolve();
          }),
        ),
      onError: (e) => assert.fail(String(e)),
    });
    pool.start();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.abort('a', 'cancelled'), true);
    assert.equal(pool.abort('nope', 'cancelled'), false);
    await pool.stop({ abortRunning: true });
    assert.equal(reasons.get('a'), 'cancelled');
    assert.equal(reasons.get('b'), 'shutting down');
    assert.equal(pool.active, 0);
  });
});
