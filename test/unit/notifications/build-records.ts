import type { BuildRecord, ProjectRecord } from '../../../src/persistence/index.js';

const SHA = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';

let seq = 0;

/** A complete build record (as the store returns it) with the given fields. */
export function buildRecord(fields: Partial<BuildRecord> & { id: string }): BuildRecord {
  seq += 1;
  return {
    seq,
    status: 'pending',
    source: { kind: 'git', url: 'https://github.com/acme/app.git', ref: 'main' },
    env: {},
    system: 'x86_64-linux',
    groupId: null,
    serviceId: null,
    labels: {},
    priority: 0,
    timeoutSeconds: 1800,
    maxSilentSeconds: 0,
    drvPaths: [],
    outputs: [],
    artifactSize: null,
    exitCode: null,
    error: null,
    reason: null,
    progress: { done: 0, expected: 0, running: 0, failed: 0, phase: null, activeDrv: null },
    createdAt: 1_700_000_000_000,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    cancelRequestedAt: null,
    attempts: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
    runnerPid: null,
    runnerStartTime: null,
    pushCache: null,
    substituted: [],
    built: [],
    pushed: [],
    commit: {
      sha: SHA,
      branch: 'main',
      author: 'Ada',
      authorEmail: 'ada@example.com',
      date: '2024-01-01T00:00:00Z',
      subject: 'Fix the thing',
    },
    cached: false,
    cacheKey: null,
    secrets: null,
    imageRef: null,
    image: null,
    imageConfig: null,
    deployHook: null,
    deploy: null,
    bump: null,
    projectId: 'app',
    trigger: { kind: 'push', actor: 'ada', forge: 'github', deliveryId: 'd-1' },
    concurrencyKey: 'app/main',
    runSeq: null,
    dependsOn: [],
    attrPath: null,
    ...fields,
  };
}

export const COMMIT_SHA = SHA;

/** A project record with notifications configured as given. */
export function projectRecord(
  notify: ProjectRecord['notify'],
  repoUrl = 'https://github.com/acme/app.git',
): ProjectRecord {
  return {
    name: 'app',
    repoUrl,
    branches: ['main'],
    tags: [],
    build: { kind: 'flake', outputs: ['packages'] },
    systems: ['x86_64-linux'],
    pushCache: null,
    imageRepo: null,
    deployHook: null,
    concurrency: { group: '{project}/{branch}', mode: 'replace', cancelInProgress: false },
    notify,
    timeoutSeconds: null,
    secrets: null,
    createdAt: 0,
    updatedAt: 0,
  };
}
