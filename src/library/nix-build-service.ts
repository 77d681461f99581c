import {
  isTerminal,
  parseDuration,
  type BuildDetails,
  type Statistics,
  type CleanupResult,
} from '../builds/index.js';
import { realpath } from 'node:fs/promises';
import { KilnError } from '../errors/index.js';
import type { BuildRecord, LogLine } from '../persistence/index.js';
import { createKiln, type CreateKilnOptions, type Kiln } from '../main/index.js';

/** What every build call takes, under seed 002's names. */
export interface BuildCallOptions {
  serviceId?: string;
  environmentVars?: Record<string, string>;
  /** Seconds; default 1800, maximum 3600 (configurable). */
  buildTimeout?: number;
  systems?: string[];
  labels?: Record<string, string>;
  priority?: number;
}

/** Seed 002's `buildFromNixExpression` options, under the same names. */
export interface NixExpressionBuildOptions extends BuildCallOptions {
  nixExpression: string;
}

/** Seed 002's `buildFromGitRepository` options (same names), plus what kiln adds. */
export interface GitRepositoryBuildOptions extends BuildCallOptions {
  repoUrl: string;
  /** Branch, tag or full commit SHA; default: the repository's HEAD. */
  branch?: string;
  /** Flake output (`hello`, `packages.x86_64-linux.hello`) or default.nix attribute. */
  attr?: string;
  accessToken?: string;
  sshPrivateKey?: string;
  submodules?: boolean;
}

/**
 * Seed 002's `getBuildStatistics` result: kiln's statistics (success rate, averages of build time,
 * image size and bytes pushed, last good image, ...) plus the seed's `averageBuildTime` in seconds.
 */
export interface BuildStatistics extends Statistics {
  /** Seconds, over succeeded builds (seed 002's name); `averageBuildTimeMs` has it in milliseconds. */
  averageBuildTime: number | null;
}

/** Seed 002's `BuildPipeline.executePipeline` options, under the same names. */
export interface PipelineOptions {
  /** The succeeded build whose outputs become the image. */
  buildId: string;
  /** The image repository's last part; `organizationId/slug` when an organisation is given. */
  slug: string;
  organizationId?: string;
  /** Accepted for seed 002's shape; the statistics use the build's own service. */
  serviceId?: string;
  /** Optional check: one of the build's outputs (seed 002 passes the `result` link). */
  nixResultPath?: string;
  /** `host:port`; default: DOCKER_REGISTRY_URL. */
  registry?: string;
  /** Default `latest`; the build id and a UTC timestamp are added, and `current` moves on success. */
  tag?: string;
}

/** What executePipeline reports; a failure never moves the `current` tag. */
export interface PipelineResult {
  success: boolean;
  buildId: string;
  imageTag: string;
  imageDigest: string | null;
  error: string | null;
}

/** Seed 002's `buildFromTemplate` options: the template's parameters, and environment overrides. */
export interface TemplateBuildOptions {
  serviceId?: string;
  /** The template's name (seed 002 calls it templateId). */
  templateId: string;
  version?: string;
  parameters?: Record<string, string | number | boolean>;
  customizations?: { environmentVars?: Record<string, string> };
  buildTimeout?: number;
  systems?: string[];
}

/**
 * The library face of kiln, named after seed 002's NixBuildService: every operation works
 * in-process, without the HTTP server. Create one with `NixBuildService.open({ dataDir })`.
 */
export class NixBuildService {
  readonly kiln: Kiln;

  private constructor(kiln: Kiln) {
    this.kiln = kiln;
  }

  static async open(options: CreateKilnOptions): Promise<NixBuildService> {
    return new NixBuildService(await createKiln(options));
  }

  /** Parses, evaluates and queues; resolves with the queued build (see waitForBuild). */
  async buildFromNixExpression(options: NixExpressionBuildOptions): Promise<BuildRecord> {
    const [queued] = await this.kiln.builds.submit({
      source: { kind: 'expr', expression: options.nixExpression },
      env: options.environmentVars,
      timeoutSeconds: options.buildTimeout,
      serviceId: options.serviceId,
      systems: options.systems,
      labels: options.labels,
      priority: options.priority,
    });
    return first(queued === undefined ? [] : [queued]);
  }

  /**
   * Checks the repository and ref (`git ls-remote` with the credentials) and queues the build;
   * an identical earlier success is returned at once, `cached`. Resolves with the first build.
   */
  async buildFromGitRepository(options: GitRepositoryBuildOptions): Promise<BuildRecord> {
    const credentials =
      options.accessToken !== undefined || options.sshPrivateKey !== undefined
        ? { token: options.accessToken, sshPrivateKey: options.sshPrivateKey }
        : undefined;
    return first(
      await this.kiln.builds.submit({
        source: {
          kind: 'git',
          url: options.repoUrl,
          ref: options.branch,
          attr: options.attr,
          submodules: options.submodules,
        },
        credentials,
        env: options.environmentVars,
        timeoutSeconds: options.buildTimeout,
        serviceId: options.serviceId,
        systems: options.systems,
        labels: options.labels,
        priority: options.priority,
      }),
    );
  }

  /** Renders the template with its parameters and queues the build. */
  async buildFromTemplate(options: TemplateBuildOptions): Promise<BuildRecord> {
    const values = Object.fromEntries(
      Object.entries(options.parameters ?? {}).map(([key, value]) => [key, String(value)]),
    );
    return first(
      await this.kiln.builds.submit({
        source: { kind: 'template', name: options.templateId, version: options.version, values },
        env: options.customizations?.environmentVars,
        timeoutSeconds: options.buildTimeout,
        serviceId: options.serviceId,
        systems: options.systems,
      }),
    );
  }

  getBuildStatus(buildId: string): Promise<BuildDetails> {
    return this.kiln.builds.get(buildId);
  }

  /** Resolves when the build has finished (any terminal status). */
  async waitForBuild(buildId: string, options: { signal?: AbortSignal } = {}): Promise<BuildDetails> {
    for (;;) {
      const build = await this.kiln.builds.get(buildId);
      if (isTerminal(build.status)) return build;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, 1000);
        const unsubscribe = this.kiln.events.subscribe(buildId, (event) => {
          if (event.type === 'status') done();
        });
        const onAbort = (): void => {
          clearTimeout(timer);
          unsubscribe();
          reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        function done(): void {
          clearTimeout(timer);
          unsubscribe();
          options.signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
  }

  async getBuildLogs(buildId: string): Promise<LogLine[]> {
    const all: LogLine[] = [];
    let after = 0;
    for (;;) {
      const { lines } = await this.kiln.builds.readLog(buildId, after, 10_000);
      all.push(...lines);
      const last = lines[lines.length - 1];
      if (!last || lines.length < 10_000) return all;
      after = last.seq;
    }
  }

  cancelBuild(buildId: string): Promise<BuildRecord> {
    return this.kiln.builds.cancel(buildId);
  }

  listBuilds(options: { serviceId?: string; limit?: number } = {}): Promise<BuildRecord[]> {
    return this.kiln.builds.list({
      limit: options.limit ?? 50,
      ...(options.serviceId && { serviceId: options.serviceId }),
    });
  }

  /** Deletes finished builds older than `olderThan` (days as a number, or a duration such as `12h`). */
  cleanupOldBuilds(olderThan: number | string = 30): Promise<CleanupResult> {
    const ms = typeof olderThan === 'number' ? olderThan * 86_400_000 : parseDuration(olderThan);
    return this.kiln.cleanup(ms, false);
  }

  /**
   * Seed 002's `executePipeline`: an image of a finished build's outputs, pushed and tagged, its
   * digest recorded on the build, and the repository's `current` tag moved to it. A failure is
   * reported (success false) and leaves `current` where it was, so running services are unaffected.
   */
  async executePipeline(options: PipelineOptions): Promise<PipelineResult> {
    const repository = `${options.organizationId ? `${options.organizationId}/` : ''}${options.slug}`;
    const imageTag = `${options.registry ? `${options.registry}/` : ''}${repository}:${options.tag ?? 'latest'}`;
    try {
      if (options.nixResultPath !== undefined) {
        const build = await this.kiln.builds.get(options.buildId);
        const resolved = await realpath(options.nixResultPath).catch(() => options.nixResultPath);
        if (resolved === undefined || !build.outputs.includes(resolved)) {
          throw new KilnError(
            'KILN_ERR_VALIDATION',
            `${options.nixResultPath} is not an output of build ${options.buildId}`,
          );
        }
      }
      const built = await this.kiln.builds.imageOf(
        options.buildId,
        { image: imageTag, current: true },
        new AbortController().signal,
      );
      return {
        success: true,
        buildId: options.buildId,
        imageTag,
        imageDigest: built.image?.digest ?? null,
        error: null,
      };
    } catch (error) {
      if (!(error instanceof KilnError)) throw error;
      return { success: false, buildId: options.buildId, imageTag, imageDigest: null, error: error.message };
    }
  }

  async getBuildStatistics(serviceId?: string): Promise<BuildStatistics> {
    const stats = await this.kiln.statistics({ serviceId });
    return {
      ...stats,
      averageBuildTime: stats.averageBuildTimeMs === null ? null : stats.averageBuildTimeMs / 1000,
    };
  }

  close(): Promise<void> {
    return this.kiln.close();
  }
}

function first(builds: readonly BuildRecord[]): BuildRecord {
  const [build] = builds;
  if (!build) throw new KilnError('KILN_ERR_INTERNAL', 'no build was created');
  return build;
}
