/**
 * The plan of a build matrix, pure: which derivations become child builds, which child waits for
 * which (a sibling's derivation in its closure), which are answered by the cache already, and
 * which systems this machine cannot build.
 */

/** One evaluated job (src/runner/nix's MatrixJob has this shape). */
export interface PlanJob {
  attrPath: string;
  drvPath: string;
  system: string;
  /** Output name → store path. */
  outputs: Readonly<Record<string, string>>;
}

export interface PlanInput {
  jobs: readonly PlanJob[];
  /** Input derivations of each derivation in the jobs' closures (missing: none). */
  inputDrvs: ReadonlyMap<string, readonly string[]>;
  /** Store paths the push cache has (empty without a push cache). */
  cachedPaths: ReadonlySet<string>;
  /** Systems this machine builds (`builtin` derivations build anywhere). */
  buildableSystems: readonly string[];
}

export interface PlannedChild {
  /** The attribute path the child is named by; `aliases` are other paths to the same derivation. */
  attrPath: string;
  aliases: string[];
  drvPath: string;
  system: string;
  /** Store paths of every output, by output name order. */
  outputs: string[];
  /** Indexes (into `children`) of the siblings whose derivation is in this one's closure. */
  dependsOn: number[];
  /** Every output is in the push cache: nothing to build. */
  cached: boolean;
}

export interface MatrixPlan {
  /** In dependency order: a child comes after every child it depends on. */
  children: PlannedChild[];
  /** Jobs for systems this machine cannot build: evaluated, reported, not queued. */
  unsupported: { attrPath: string; system: string; drvPath: string }[];
}

/**
 * Which attribute path names a derivation reached by several: one not ending in `default` (the
 * descriptive name), then the first in evaluation order.
 */
function primaryFirst(paths: readonly string[]): string[] {
  const isDefault = (p: string): boolean => p === 'default' || p.endsWith('.default');
  return [...paths.filter((p) => !isDefault(p)), ...paths.filter(isDefault)];
}

/** Every derivation reachable from `start` through input derivations (not `start` itself). */
function closureOf(start: string, inputDrvs: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...(inputDrvs.get(start) ?? [])];
  for (let drv = stack.pop(); drv !== undefined; drv = stack.pop()) {
    if (seen.has(drv) || drv === start) continue;
    seen.add(drv);
    stack.push(...(inputDrvs.get(drv) ?? []));
  }
  return seen;
}

export function planMatrix(input: PlanInput): MatrixPlan {
  const buildable = new Set([...input.buildableSystems, 'builtin']);
  // One child per derivation: `packages.x.default` and `packages.x.hello` are often the same.
  const byDrv = new Map<string, { job: PlanJob; paths: string[] }>();
  for (const job of input.jobs) {
    const entry = byDrv.get(job.drvPath);
    if (entry) {
      if (!entry.paths.includes(job.attrPath)) entry.paths.push(job.attrPath);
    } else byDrv.set(job.drvPath, { job, paths: [job.attrPath] });
  }

  const unsupported: MatrixPlan['unsupported'] = [];
  const planned: PlannedChild[] = [];
  for (const { job, paths } of byDrv.values()) {
    const [attrPath = job.attrPath, ...aliases] = primaryFirst(paths);
    if (!buildable.has(job.system)) {
      unsupported.push({ attrPath, system: job.system, drvPath: job.drvPath });
      continue;
    }
    const outputs = Object.keys(job.outputs)
      .sort()
      .map((name) => job.outputs[name]!);
    planned.push({
      attrPath,
      aliases,
      drvPath: job.drvPath,
      system: job.system,
      outputs,
      dependsOn: [],
      cached: outputs.length > 0 && outputs.every((path) => input.cachedPaths.has(path)),
    });
  }

  // Dependencies among the children (siblings in each closure), as drv paths first.
  const childDrvs = new Set(planned.map((c) => c.drvPath));
  const needs = new Map<string, string[]>();
  for (const child of planned) {
    const closure = closureOf(child.drvPath, input.inputDrvs);
    needs.set(
      child.drvPath,
      [...childDrvs].filter((drv) => closure.has(drv)),
    );
  }

  // Dependency order (Kahn's algorithm), stable in evaluation order; a cycle (impossible for
  // derivations) keeps the rest in evaluation order rather than losing them.
  const ordered: PlannedChild[] = [];
  const placed = new Set<string>();
  let remaining = planned;
  while (remaining.length > 0) {
    const ready = remaining.filter((c) => (needs.get(c.drvPath) ?? []).every((d) => placed.has(d)));
    const next = ready.length > 0 ? ready : remaining;
    for (const child of next) {
      ordered.push(child);
      placed.add(child.drvPath);
    }
    remaining = remaining.filter((c) => !placed.has(c.drvPath));
  }
  const indexOf = new Map(ordered.map((c, i) => [c.drvPath, i]));
  for (const child of ordered) {
    child.dependsOn = (needs.get(child.drvPath) ?? []).map((drv) => indexOf.get(drv)!).sort((a, b) => a - b);
  }
  return { children: ordered, unsupported };
}

/** What a build group (a matrix, or the systems of one submission) amounts to. */
export type GroupStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * The status of a group from its builds: failed as soon as any build failed, timed out or could
 * not run for a failed dependency (while others may still run); running while any build is
 * pending or running; cancelled when builds were cancelled or superseded and none failed;
 * succeeded when every build did.
 */
export function groupStatus(builds: readonly { status: string }[]): GroupStatus {
  const has = (...statuses: string[]): boolean => builds.some((b) => statuses.includes(b.status));
  if (has('failed', 'timed_out', 'dependency_failed')) return 'failed';
  if (has('running')) return 'running';
  if (has('pending')) return builds.every((b) => b.status === 'pending') ? 'pending' : 'running';
  if (has('cancelled', 'superseded')) return 'cancelled';
  return 'succeeded';
}
