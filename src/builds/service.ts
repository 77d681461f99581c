import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.js';
import {
  type BuildQuery,
  type BuildImage,
  type BuildRecord,
  type BuildSource,
  type ConcurrencyPolicy,
  type ImageConfig,
  type LogLine,
  type NewBuild,
  type Store,
} from '../persistence/index.js';
import type { BuildEvents } from './events.js';
import { newBuildId } from './ids.js';
import { EvaluationBatcher } from './evaluation-batcher.js';
import { validateGitUrl, type RemoteRef, type ValidGitUrl } from '../git/index.js';
import { branchOf, gitCacheKey, hostSystem, resolveGitSource, type GitBuildsDeps } from './git-source.js';
import { assertTransition, isTerminal } from './lifecycle.js';
import type { BuildRunner } from './ports.js';
import type { BuildDetails, BuildSubmission, GitSource, TemplateSource } from './types.js';
import {
  checkExpressionSize,
  validateImageConfig,
  validateSubmission,
  type SubmissionLimits,
  type ValidSubmission,
} from './validation.js';

export interface BuildServiceDeps {
  store: Store;
  runner: BuildRunner;
  events: BuildEvents;
  limits: SubmissionLimits;
  workspaceDir: string;
  logCapBytes: number;
  clock: () => number;
  /** Evaluations allowed at once (parse checks and nix-instantiate). */
  evalConcurrency: number;
  /** Called after builds are queued (a hint to idle workers). */
  onQueued: () => void;
  /** Aborts a build running in this process; false if it runs elsewhere or not at all. */
  abortRunning: (buildId: string, reason: string) => boolean;
  /** Throws (e.g. KILN_ERR_NOT_FOUND) unless builds may push to this cache; checked at submission. */
  checkPushCache?: ((cache: string) => Promise<void>) | undefined;
  /** The cache a service's builds push to when a submission names none (config cache.pushByService). */
  defaultPushCache?: ((serviceId: string) => string | undefined) | undefined;
  /** Builds from Git: ref resolution at submission; absent: Git sources are refused. */
  git?: GitBuildsDeps | undefined;
  /** Renders a template into the expression and environment to build; absent: templates are refused. */
  renderTemplate?:
    | ((
        name: string,
        values: Readonly<Record<string, string>>,
        options: { version?: string | undefined; env?: Readonly<Record<string, string>> | undefined },
      ) => Promise<{ expression: string; env: Record<string, string>; template: { version: string } }>)
    | undefined;
  /** Whether deploy hooks can be signed (a secret is configured). */
  canDeploy?: boolean | undefined;
  /** Throws unless `reference` names an image this server can push to (checked at submission). */
  checkImage?: ((reference: string) => void) | undefined;
  /** Builds and pushes an image of a finished build's outputs (and moves `current` if asked). */
  shipImageOf?:
    | ((
        build: BuildRecord,
        options: { current: boolean },
        signal: AbortSignal,
        log: (line: string) => void,
      ) => Promise<BuildImage>)
    | undefined;
  /** Gives a build GC roots for outputs it did not build (a cached answer), so they stay valid. */
  rootOutputs?: ((buildId: string, outputs: readonly string[]) => Promise<void>) | undefined;
  /** Whether the outputs of an earlier build are all still valid (a cached answer needs them). */
  pathsValid?: ((paths: readonly string[], buildId: string) => Promise<boolean>) | undefined;
}

/** Submission, queries and cancellation of builds. Execution lives in executor.ts. */
export class BuildService {
  readonly #deps: BuildServiceDeps;
  readonly #evaluations: EvaluationBatcher;

  constructor(deps: BuildServiceDeps) {
    this.#deps = deps;
    this.#evaluations = new EvaluationBatcher(deps.runner, {
      maxConcurrent: deps.evalConcurrency,
      maxBatch: 64,
    });
  }

  /**
   * Validates, parses and evaluates before anything is queued: a malformed or failing expression
   * is a coded error and leaves no record. One build per requested system, grouped when several.
   */
  async submit(input: BuildSubmission): Promise<BuildRecord[]> {
    const submitted = validateSubmission(input, this.#deps.limits);
    const fallback =
      submitted.push === undefined && submitted.serviceId !== undefined
        ? this.#deps.defaultPushCache?.(submitted.serviceId)
        : undefined;
    const valid = fallback === undefined ? submitted : { ...submitted, push: fallback };
    if (valid.image !== undefined) {
      if (!this.#deps.checkImage)
        throw new KilnError('KILN_ERR_VALIDATION', 'this server cannot push images');
      this.#deps.checkImage(valid.image);
    }
    if (valid.deployHook !== undefined && !this.#deps.canDeploy) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        'this server signs no deploy hooks: set KILN_DEPLOY_SECRET (deploy.secret) first',
      );
    }
    if (valid.push !== undefined) {
      if (!this.#deps.checkPushCache) {
        throw new KilnError('KILN_ERR_VALIDATION', 'this server cannot push build outputs to a cache');
      }
      await this.#deps.checkPushCache(valid.push);
    }
    switch (valid.source.kind) {
      case 'expr':
        return this.#evaluateAndQueue(valid, valid.source.expression, valid.source);
      case 'template':
        return this.#queueTemplate(valid, valid.source);
      case 'git':
        return this.#queueGit(valid, valid.source);
    }
  }

  async #queueTemplate(valid: ValidSubmission, source: TemplateSource): Promise<BuildRecord[]> {
    if (!this.#deps.renderTemplate) {
      throw new KilnError('KILN_ERR_VALIDATION', 'this server cannot build from templates');
    }
    const rendered = await this.#deps.renderTemplate(source.name, source.values, {
      version: source.version,
      env: valid.env,
    });
    checkExpressionSize(rendered.expression, this.#deps.limits);
    // The record names the template and the exact version built, so a rebuild is reproducible.
    const recorded = { kind: 'template' as const, name: source.name, values: { ...source.values } };
    return this.#evaluateAndQueue(
      {
        ...valid,
        env: rendered.env,
        labels: { ...valid.labels, 'kiln.template.version': rendered.template.version },
      },
      rendered.expression,
      recorded,
    );
  }

  /**
   * A Git build: the ref is resolved (and access checked) now; the clone and evaluation happen on
   * the worker. An identical earlier success (same repository, commit, attribute, system and
   * options) whose outputs are still valid answers at once, without running Nix.
   */
  async #queueGit(valid: ValidSubmission, source: GitSource): Promise<BuildRecord[]> {
    const { store, clock } = this.#deps;
    const git = this.#deps.git;
    if (!git) throw new KilnError('KILN_ERR_VALIDATION', 'this server cannot build from Git');
    const { url, remote } =
      valid.commit === undefined
        ? await resolveGitSource(git, source, valid.credentials)
        : knownCommit(git, source, valid.commit);
    const now = clock();
    const branch = valid.commit === undefined ? branchOf(remote, source.ref) : valid.commit.branch;
    const recordedSource: GitSource = {
      kind: 'git',
      url: url.url,
      ...(source.ref !== undefined && { ref: source.ref }),
      ...(source.attr !== undefined && { attr: source.attr }),
      ...(source.submodules !== undefined && { submodules: source.submodules }),
      ...(source.matrix !== undefined && { matrix: source.matrix }),
    };
    const emptyCommit = { sha: remote.commit, branch, author: '', authorEmail: '', date: '', subject: '' };
    const hasCredentials =
      valid.credentials?.token !== undefined || valid.credentials?.sshPrivateKey !== undefined;
    if (source.matrix !== undefined) {
      // The evaluation build: it clones, evaluates and adds one child per derivation to its group.
      const id = newBuildId(now);
      return this.#insertRun(
        [
          {
            ...recordFields(valid, id, recordedSource, null, id, now),
            drvPaths: [],
            commit: emptyCommit,
            secrets: hasCredentials ? git.seal.seal(valid.credentials ?? {}, id) : null,
          },
        ],
        valid,
      );
    }
    const groupId = valid.systems.length > 1 ? newBuildId(now) : null;
    const records: BuildRecord[] = [];
    const queued: NewBuild[] = [];
    for (const requested of valid.systems) {
      const system = requested ?? hostSystem();
      const cacheKey = gitCacheKey({
        url: url.url,
        commit: remote.commit,
        attr: source.attr,
        system,
        env: valid.env ?? {},
        submodules: source.submodules ?? false,
      });
      const base = {
        ...recordFields(valid, newBuildId(now), recordedSource, requested, groupId, now),
        cacheKey,
      };
      // A build that is to push an image runs: the image is part of what was asked for.
      const earlier = valid.image === undefined ? await store.builds.findByCacheKey(cacheKey) : undefined;
      if (
        earlier &&
        earlier.outputs.length > 0 &&
        (await this.#deps.pathsValid?.(earlier.outputs, earlier.id))
      ) {
        records.push(await this.#answerFromEarlier(base, earlier));
        continue;
      }
      queued.push({
        ...base,
        drvPaths: [],
        commit: emptyCommit,
        secrets: hasCredentials ? git.seal.seal(valid.credentials ?? {}, base.id) : null,
      });
    }
    for (const r of records) this.#deps.events.emit({ type: 'status', buildId: r.id, status: r.status });
    if (queued.length > 0) records.push(...(await this.#insertRun(queued, valid)));
    return records;
  }

  /**
   * Inserts a run's builds in one transaction, applying its concurrency group: runs it supersedes or
   * cancels are told to subscribers (and a cancelled running build's process is stopped).
   */
  async #insertRun(builds: readonly NewBuild[], valid: ValidSubmission): Promise<BuildRecord[]> {
    const { store, clock, events } = this.#deps;
    const policy: ConcurrencyPolicy | null = valid.concurrency
      ? {
          key: valid.concurrency.group,
          mode: valid.concurrency.queue === true ? 'queue' : 'replace',
          cancelInProgress: valid.concurrency.cancelInProgress === true,
        }
      : null;
    const now = clock();
    const { inserted, superseded, cancelled } = await store.builds.insertRun(builds, policy, now);
    for (const build of [...superseded, ...cancelled]) {
      await store.logs.append(
        build.id,
        [{ ts: now, stream: 'kiln', text: `kiln: ${build.error ?? build.status}` }],
        this.#deps.logCapBytes,
      );
      if (build.startedAt !== null) this.#deps.abortRunning(build.id, 'cancelled');
      events.emit({ type: 'status', buildId: build.id, status: build.status });
    }
    for (const build of inserted) events.emit({ type: 'status', buildId: build.id, status: build.status });
    this.#deps.onQueued();
    return inserted;
  }

  /** A new record that is the earlier build's result, marked cached; Nix does not run. */
  async #answerFromEarlier(base: Omit<NewBuild, 'drvPaths'>, earlier: BuildRecord): Promise<BuildRecord> {
    const { store, clock } = this.#deps;
    const inserted = await store.builds.insert({
      ...base,
      drvPaths: earlier.drvPaths,
      commit: earlier.commit,
    });
    const now = clock();
    await store.logs.append(
      inserted.id,
      [
        {
          ts: now,
          stream: 'kiln',
          text: `kiln: answered from build ${earlier.id} (same repository, commit, attribute, system and options); Nix did not run`,
        },
      ],
      this.#deps.logCapBytes,
    );
    const done = await store.builds.update(
      inserted.id,
      {
        status: 'succeeded',
        cached: true,
        outputs: earlier.outputs,
        artifactSize: earlier.artifactSize,
        exitCode: 0,
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
      },
      { status: ['pending'] },
    );
    // After the answer, not before it: the outputs are rooted by the earlier build meanwhile.
    this.#deps.rootOutputs?.(inserted.id, earlier.outputs).catch((error: unknown) => {
      console.error(`kiln: GC roots for cached build ${inserted.id} failed:`, error);
    });
    return done ?? inserted;
  }

  async #evaluateAndQueue(
    valid: ValidSubmission,
    expression: string,
    recordSource: BuildSource,
  ): Promise<BuildRecord[]> {
    const { clock } = this.#deps;
    const now = clock();
    const groupId = valid.systems.length > 1 ? newBuildId(now) : null;
    const prepared: { id: string; system: string | null; drvPaths: string[]; dir: string }[] = [];
    try {
      for (const system of valid.systems) {
        const id = newBuildId(now);
        const dir = join(this.#deps.workspaceDir, id);
        prepared.push({ id, system, drvPaths: [], dir });
        await mkdir(dir, { recursive: true });
        const file = join(dir, 'default.nix');
        await writeFile(file, expression, { mode: 0o600 });
        // The parse check runs first, so a syntax error is reported as such and nothing is evaluated.
        const drvPaths = await this.#evaluations.evaluate({
          file,
          system: system ?? undefined,
          env: valid.env ?? {},
          workDir: dir,
          parse: prepared.length === 1,
        });
        if (drvPaths.length === 0) {
          throw new KilnError(
            'KILN_ERR_EXPR_EVAL',
            'the expression evaluates to no derivations: nothing to build',
          );
        }
        prepared[prepared.length - 1]!.drvPaths = drvPaths;
      }
    } catch (error) {
      await Promise.all(prepared.map((p) => rm(p.dir, { recursive: true, force: true })));
      throw error;
    }
    return this.#insertRun(
      prepared.map((p) => ({
        ...recordFields(valid, p.id, recordSource, p.system, groupId, now),
        drvPaths: p.drvPaths,
      })),
      valid,
    );
  }

  async get(id: string): Promise<BuildDetails> {
    const build = await this.#deps.store.builds.get(id);
    if (!build) throw new KilnError('KILN_ERR_NOT_FOUND', `no build with id ${id}`, { id });
    return { ...build, steps: await this.#deps.store.steps.list(id) };
  }

  list(query: BuildQuery): Promise<BuildRecord[]> {
    return this.#deps.store.builds.list(query);
  }

  /** Log lines after `afterSeq`; `complete` when the build is finished and nothing more follows. */
  async readLog(
    id: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ lines: LogLine[]; complete: boolean }> {
    const before = await this.#deps.store.builds.get(id);
    if (!before) throw new KilnError('KILN_ERR_NOT_FOUND', `no build with id ${id}`, { id });
    const lines = await this.#deps.store.logs.read(id, afterSeq, limit);
    return { lines, complete: isTerminal(before.status) && lines.length < limit };
  }

  /**
   * `kiln image`: an image of an existing successful build's outputs, pushed now and recorded on
   * the build. Registry failures are KILN_ERR_REGISTRY; the build's status does not change.
   */
  async imageOf(
    id: string,
    request: { image: string; imageConfig?: ImageConfig | undefined; current?: boolean | undefined },
    signal: AbortSignal,
  ): Promise<BuildRecord> {
    const { store } = this.#deps;
    const build = await store.builds.get(id);
    if (!build) throw new KilnError('KILN_ERR_NOT_FOUND', `no build with id ${id}`, { id });
    if (!this.#deps.checkImage || !this.#deps.shipImageOf) {
      throw new KilnError('KILN_ERR_VALIDATION', 'this server cannot push images');
    }
    this.#deps.checkImage(request.image);
    if (request.imageConfig !== undefined) validateImageConfig(request.imageConfig);
    if (build.status !== 'succeeded' || build.outputs.length === 0) {
      throw new KilnError(
        'KILN_ERR_CONFLICT',
        `build ${id} is ${build.status}: only a succeeded build has outputs to make an image of`,
        { id, status: build.status },
      );
    }
    if (this.#deps.pathsValid && !(await this.#deps.pathsValid(build.outputs, build.id))) {
      throw new KilnError(
        'KILN_ERR_CONFLICT',
        `the outputs of build ${id} are no longer in the store (garbage-collected): rebuild it`,
        { id },
      );
    }
    const asked: BuildRecord = {
      ...build,
      imageRef: request.image,
      imageConfig: request.imageConfig ?? build.imageConfig,
    };
    const { clock, logCapBytes } = this.#deps;
    const lines: { ts: number; stream: 'kiln'; text: string }[] = [
      { ts: clock(), stream: 'kiln', text: `kiln: image of this build requested: ${request.image}` },
    ];
    const log = (text: string): void => void lines.push({ ts: clock(), stream: 'kiln', text });
    let image: BuildImage;
    try {
      image = await this.#deps.shipImageOf(asked, { current: request.current ?? false }, signal, log);
    } catch (error) {
      log(`kiln: image failed: ${error instanceof Error ? error.message : String(error)}`);
      await store.logs.append(id, lines, logCapBytes);
      if (error instanceof KilnError && error.code === 'KILN_ERR_VALIDATION') throw error;
      throw new KilnError(
        'KILN_ERR_REGISTRY',
        `image of build ${id}: ${error instanceof Error ? error.message : String(error)}`,
        { id },
        { cause: error },
      );
    }
    log(`kiln: image pushed: ${image.ref}@${image.digest} (tags ${image.tags.join(', ')})`);
    await store.logs.append(id, lines, logCapBytes);
    const updated = await store.builds.update(id, { image, imageRef: request.image });
    return updated ?? { ...build, image, imageRef: request.image };
  }

  /** Cancels every unfinished build of a group (a matrix run or a multi-system build). */
  async cancelGroup(groupId: string): Promise<BuildRecord[]> {
    const members = await this.#deps.store.builds.list({ groupId, limit: 100_000 });
    if (members.length === 0) {
      throw new KilnError('KILN_ERR_NOT_FOUND', `no build group with id ${groupId}`, { id: groupId });
    }
    const cancelled: BuildRecord[] = [];
    // Oldest first: the evaluation build before its children.
    for (const member of [...members].reverse()) {
      if (isTerminal(member.status)) continue;
      try {
        cancelled.push(await this.cancel(member.id));
      } catch (error) {
        // Finished (or dependency-failed) meanwhile: nothing left to cancel there.
        if (!(error instanceof KilnError && error.code === 'KILN_ERR_CONFLICT')) throw error;
      }
    }
    return cancelled;
  }

  /** Marks the record cancelled first, then stops the process; a pending build simply leaves the queue. */
  async cancel(id: string): Promise<BuildRecord> {
    const { store, clock, events } = this.#deps;
    for (let attempt = 0; attempt < 5; attempt++) {
      const build = await store.builds.get(id);
      if (!build) throw new KilnError('KILN_ERR_NOT_FOUND', `no build with id ${id}`, { id });
      assertTransition(id, build.status, 'cancelled');
      const now = clock();
      const updated = await store.builds.update(
        id,
        {
          status: 'cancelled',
          cancelRequestedAt: now,
          finishedAt: now,
          durationMs: build.startedAt === null ? null : now - build.startedAt,
          error: build.status === 'pending' ? 'cancelled before it started' : 'cancelled by request',
          reason: 'cancelled',
          // A pending Git build will never clone: its credentials go now.
          ...(build.status === 'pending' && { secrets: null }),
        },
        { status: [build.status] },
      );
      if (!updated) continue; // it moved from pending to running meanwhile: try again
      await store.logs.append(
        id,
        [{ ts: now, stream: 'kiln', text: `kiln: ${updated.error}` }],
        this.#deps.logCapBytes,
      );
      if (build.status === 'running') this.#deps.abortRunning(id, 'cancelled');
      events.emit({ type: 'status', buildId: id, status: 'cancelled' });
      // A pending matrix child never reaches the executor, which fails dependents of the others.
      if (build.status === 'pending') {
        for (const dependent of await store.builds.failDependents(id, now)) {
          events.emit({ type: 'status', buildId: dependent.id, status: dependent.status });
        }
      }
      return updated;
    }
    throw new KilnError('KILN_ERR_CONFLICT', `build ${id} changed state repeatedly; try again`);
  }
}

/** The fields every new build record takes from its submission. */
function recordFields(
  valid: ValidSubmission,
  id: string,
  source: BuildSource,
  system: string | null,
  groupId: string | null,
  now: number,
): Omit<NewBuild, 'drvPaths'> {
  return {
    id,
    source,
    env: valid.env ?? {},
    system,
    groupId,
    serviceId: valid.serviceId ?? null,
    labels: valid.labels ?? {},
    priority: valid.priority ?? 0,
    timeoutSeconds: valid.timeoutSeconds,
    maxSilentSeconds: valid.maxSilentSeconds,
    createdAt: now,
    pushCache: valid.push ?? null,
    imageRef: valid.image ?? null,
    imageConfig: valid.imageConfig ?? null,
    deployHook: valid.deployHook ?? null,
    projectId: valid.projectId ?? null,
    trigger: valid.trigger ?? null,
  };
}

/** A commit the caller vouches for (a signed push webhook): the URL is still checked against policy. */
function knownCommit(
  git: GitBuildsDeps,
  source: GitSource,
  commit: { sha: string; branch: string | null },
): { url: ValidGitUrl; remote: RemoteRef } {
  const url = validateGitUrl(source.url, git.policy);
  const ref = commit.branch === null ? commit.sha : `refs/heads/${commit.branch}`;
  return { url, remote: { ref, commit: commit.sha } };
}
