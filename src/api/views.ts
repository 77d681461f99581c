import type { BuildDetails } from '../builds/index.js';
import type { BuildRecord, LogLine } from '../persistence/index.js';
import { redactUrl } from '../webhooks/index.js';
import type { BuildView, LogLineView } from './schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of a build. Env values and expression text stay server-side. */
export function buildView(build: BuildRecord | BuildDetails): BuildView {
  const source: BuildView['source'] = { kind: build.source.kind };
  if (build.source.kind === 'expr' && build.source.fileName) source.fileName = build.source.fileName;
  if (build.source.kind === 'git') {
    source.url = build.source.url;
    if (build.source.ref) source.ref = build.source.ref;
    if (build.source.attr) source.attr = build.source.attr;
    if (build.source.matrix) source.matrix = build.source.matrix;
  }
  if (build.source.kind === 'template') {
    source.name = build.source.name;
    if (build.source.version !== undefined) source.version = build.source.version;
  }
  if (build.source.kind === 'bump') {
    source.sync = build.source.sync;
    source.version = build.source.version;
    if (build.source.tag !== undefined) source.tag = build.source.tag;
  }
  const view: BuildView = {
    id: build.id,
    status: build.status,
    source,
    system: build.system,
    groupId: build.groupId,
    serviceId: build.serviceId,
    labels: build.labels,
    priority: build.priority,
    envNames: Object.keys(build.env).sort(),
    timeoutSeconds: build.timeoutSeconds,
    maxSilentSeconds: build.maxSilentSeconds,
    drvPaths: build.drvPaths,
    outputs: build.outputs,
    artifactSize: build.artifactSize,
    exitCode: build.exitCode,
    error: build.error,
    reason: build.reason,
    progress: build.progress,
    createdAt: new Date(build.createdAt).toISOString(),
    startedAt: iso(build.startedAt),
    finishedAt: iso(build.finishedAt),
    durationMs: build.durationMs,
    attempts: build.attempts,
    cancelRequestedAt: iso(build.cancelRequestedAt),
    cached: build.cached,
    commit: build.commit,
    image: build.image,
    imageRef: build.imageRef,
    imageConfig: build.imageConfig,
    deployHook: build.deployHook === null ? null : redactUrl(build.deployHook),
    deploy: build.deploy,
    bump: build.bump,
    pushCache: build.pushCache,
    substituted: build.substituted,
    built: build.built,
    pushed: build.pushed,
    projectId: build.projectId,
    trigger: build.trigger,
    concurrencyKey: build.concurrencyKey,
    dependsOn: build.dependsOn,
    attrPath: build.attrPath,
  };
  if ('steps' in build) {
    view.steps = build.steps.map((s) => ({
      name: s.name,
      status: s.status,
      startedAt: new Date(s.startedAt).toISOString(),
      finishedAt: iso(s.finishedAt),
      detail: s.detail,
    }));
  }
  return view;
}

export function logLineView(line: LogLine): LogLineView {
  return { seq: line.seq, ts: new Date(line.ts).toISOString(), stream: line.stream, text: line.text };
}
