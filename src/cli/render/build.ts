import type { BuildView } from '../../api/index.js';
import { formatBytes } from './bytes.js';
import { formatDuration } from './duration.js';

/** What the build was made from, in a few words: `hello.nix`, `expr`, `github.com/x/y@main`. */
export function sourceLabel(source: BuildView['source']): string {
  switch (source.kind) {
    case 'expr':
      return source.fileName ?? 'expr';
    case 'git': {
      const url = (source.url ?? 'git').replace(/^[a-z+]+:\/\//, '');
      return `${url}${source.ref ? `@${source.ref}` : ''}${source.attr ? `#${source.attr}` : ''}`;
    }
    case 'template':
      return `template:${source.name ?? '?'}${source.version ? `@${source.version}` : ''}`;
    case 'bump':
      return `sync:${source.sync ?? '?'} -> ${source.version ?? '?'}${source.tag ? ` (tag ${source.tag})` : ''}`;
    default:
      return source.kind;
  }
}

/** `/nix/store/<hash>-hello-1.0.drv` → `hello-1.0`; anything else is returned as it is. */
export function drvName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const match = /^[0-9a-z]{32}-(.+?)(\.drv)?$/.exec(base);
  return match?.[1] ?? base;
}

/** Build duration: the recorded one, else (while running) the time since it started. */
export function buildDurationMs(build: BuildView, now: number): number | undefined {
  if (build.durationMs !== null) return build.durationMs;
  if (build.startedAt !== null) {
    const end = build.finishedAt !== null ? Date.parse(build.finishedAt) : now;
    const ms = end - Date.parse(build.startedAt);
    return Number.isNaN(ms) ? undefined : Math.max(0, ms);
  }
  return undefined;
}

/** The end-of-wait summary of one build: a headline and indented details. */
export function summaryLines(build: BuildView): string[] {
  const took =
    build.durationMs === null
      ? ''
      : ` ${build.status === 'succeeded' ? 'in' : 'after'} ${formatDuration(build.durationMs)}`;
  const system = build.system ? ` (${build.system})` : '';
  const lines = [`build ${build.id}${system} ${build.status.replace('_', ' ')}${took}`];
  const detail = (label: string, value: string): void => {
    lines.push(...indentRest(`  ${`${label}:`.padEnd(9)} `, value));
  };
  if (build.commit) detail('commit', `${build.commit.sha.slice(0, 12)} ${build.commit.subject}`.trim());
  build.outputs.forEach((out, i) => detail(i === 0 ? 'output' : '', out));
  if (build.artifactSize !== null) detail('size', formatBytes(build.artifactSize));
  if (build.cached) detail('cached', 'yes: answered from an earlier identical build');
  if (build.image) detail('image', imageText(build.image));
  if (build.image?.index) detail('index', `${build.image.index.ref}@${build.image.index.digest}`);
  if (build.bump?.branch)
    detail('branch', `${build.bump.branch} ${build.bump.commit?.slice(0, 12) ?? ''}`.trim());
  if (build.status !== 'succeeded') {
    if (build.error) detail('error', build.error);
    if (build.reason && build.reason !== build.error) detail('reason', build.reason);
  }
  return lines;
}

/**
 * The overall status of builds submitted together (one per --system): succeeded when all did,
 * otherwise the first one that did not.
 */
export function groupStatus(builds: readonly BuildView[]): string {
  return builds.find((b) => b.status !== 'succeeded')?.status ?? 'succeeded';
}

/** `kiln status`: every field a person may want, one per line. */
export function detailLines(build: BuildView, now: number): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(...indentRest(`${`${label}:`.padEnd(13)}`, value));
  };
  row('id', build.id);
  row('status', build.status + (build.cancelRequestedAt && !isFinished(build) ? ' (cancel requested)' : ''));
  row('source', sourceLabel(build.source));
  if (build.commit) {
    const { sha, branch, author, authorEmail, date, subject } = build.commit;
    row('commit', `${sha}${branch ? ` (${branch})` : ''}`);
    if (author !== '') row('author', `${author} <${authorEmail}>, ${date}`);
    if (subject !== '') row('subject', subject);
  }
  if (build.system) row('system', build.system);
  if (build.groupId) row('group', build.groupId);
  row('service', build.serviceId ?? '-');
  const labels = Object.entries(build.labels);
  if (labels.length > 0) row('labels', labels.map(([k, v]) => `${k}=${v}`).join(', '));
  row('priority', String(build.priority));
  if (build.envNames.length > 0) row('env', build.envNames.join(', '));
  row('created', build.createdAt);
  if (build.startedAt) row('started', build.startedAt);
  if (build.finishedAt) row('finished', build.finishedAt);
  const duration = buildDurationMs(build, now);
  if (duration !== undefined)
    row('duration', formatDuration(duration) + (isFinished(build) ? '' : ' so far'));
  if (build.attempts > 1) row('attempts', String(build.attempts));
  row(
    'timeout',
    `${build.timeoutSeconds}s${build.maxSilentSeconds > 0 ? `, silent ${build.maxSilentSeconds}s` : ''}`,
  );
  const p = build.progress;
  if (p.expected > 0 || p.done > 0) {
    row('progress', `${p.done}/${p.expected} derivations${p.failed > 0 ? `, ${p.failed} failed` : ''}`);
  }
  if (!isFinished(build) && p.phase) row('phase', p.phase + (p.activeDrv ? ` ${drvName(p.activeDrv)}` : ''));
  build.outputs.forEach((out, i) => row(i === 0 ? 'outputs' : '', out));
  if (build.artifactSize !== null) row('size', formatBytes(build.artifactSize));
  // What came from caches, what Nix built here, and what went to the warehouse.
  if (build.substituted.length > 0) row('substituted', `${build.substituted.length} paths`);
  if (build.built.length > 0) row('built', `${build.built.length} derivations`);
  if (build.pushCache !== null) row('pushed', `${build.pushed.length} paths to ${build.pushCache}`);
  if (build.cached) row('cached', 'yes');
  if (build.image) {
    row('image', imageText(build.image));
    row('tags', build.image.tags.join(', '));
    row('layers', `${build.image.layers.length}, ${formatBytes(build.image.size)} compressed`);
    row(
      'uploaded',
      `${formatBytes(build.image.bytesUploaded)} in ${formatDuration(build.image.pushDurationMs)}`,
    );
  }
  if (build.image?.index) {
    const index = build.image.index;
    row('index', `${index.ref}@${index.digest} (${index.platforms.join(', ')})`);
  }
  if (build.bump) bumpRows(build.bump, row);
  if (build.deploy)
    row('deploy', `${build.deploy.url}: HTTP ${build.deploy.status}, attempt ${build.deploy.attempts}`);
  if (build.exitCode !== null) row('exit code', String(build.exitCode));
  if (build.error) row('error', build.error);
  if (build.reason && build.reason !== build.error) row('reason', build.reason);
  if (build.steps && build.steps.length > 0) {
    lines.push('steps:');
    for (const step of build.steps) {
      const end = step.finishedAt ? Date.parse(step.finishedAt) : now;
      const took = formatDuration(end - Date.parse(step.startedAt));
      lines.push(
        `  ${step.name.padEnd(12)} ${step.status.padEnd(10)} ${took}${step.detail ? `  ${step.detail}` : ''}`,
      );
    }
  }
  return lines;
}

/** A version sync run's evidence, briefly: versions, each hash, Nix's reports, smoke test, branch. */
function bumpRows(bump: NonNullable<BuildView['bump']>, row: (label: string, value: string) => void): void {
  row('version', `${bump.oldVersion} -> ${bump.newVersion}`);
  for (const hash of bump.hashes) {
    const how =
      hash.method === 'unchanged' ? 'unchanged' : `${hash.method}${hash.verified ? ', verified' : ''}`;
    row(`  ${hash.path}`, `${hash.new} (${how})`);
  }
  if (bump.mismatches.length > 0) row('mismatches', `${bump.mismatches.length} reported by Nix`);
  if (bump.staleHashes.length > 0) row('stale hashes', bump.staleHashes.join(', '));
  if (bump.verify) row('verify', `${bump.verify.command}: exit ${bump.verify.exitCode ?? 'none'}`);
  if (bump.branch) row('branch', `${bump.branch}${bump.commit ? ` at ${bump.commit}` : ''}`);
}

/** `head` before the first line of `value`, its width of blanks before the others (multi-line errors). */
function indentRest(head: string, value: string): string[] {
  const pad = ' '.repeat(head.length);
  return value
    .replace(/\n+$/, '')
    .split('\n')
    .map((line, i) => (i === 0 ? head + line : line === '' ? '' : pad + line));
}

function isFinished(build: BuildView): boolean {
  return build.finishedAt !== null;
}

/** `REF@DIGEST`, marked when it is the repository's current image or went to the fallback. */
function imageText(image: NonNullable<BuildView['image']>): string {
  const notes = [image.current ? 'current' : '', image.fallback ? 'fallback registry' : ''].filter(Boolean);
  return `${image.ref}@${image.digest}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}
