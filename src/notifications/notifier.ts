import type { BuildRecord, ProjectRecord } from '../persistence/index.js';
import type { RetryPolicy } from '../retry/index.js';
import { deliverWebhook, redactUrl } from '../webhooks/index.js';
import { forgeState, postCommitStatus, statusRequest, type CommitStatus } from './commit-status.js';
import { parseForgeRepo } from './forge-repo.js';
import { RUN_FINISHED_EVENT, runCommit, runFinishedEvent, runUrl } from './run-event.js';
import { runIdOf, runOutcome, type RunOutcome } from './run-outcome.js';

/** A project's notification credentials, unsealed for one use. */
export interface NotifySecrets {
  /** HMAC key of the `run.finished` webhook. */
  notifySecret?: string | undefined;
  /** Forge API token allowed to set commit statuses. */
  statusToken?: string | undefined;
}

type MaybePromise<T> = T | Promise<T>;

export interface NotifierPorts {
  getProject(name: string): MaybePromise<ProjectRecord | undefined>;
  /** Every build of a run: the builds whose groupId is the run id, and the build whose id is. */
  listRunBuilds(runId: string): MaybePromise<BuildRecord[]>;
  openSecrets(project: ProjectRecord): MaybePromise<NotifySecrets>;
  /** kiln's own address as users reach it (links in statuses and webhooks). */
  publicUrl: string;
  fetch?: typeof fetch;
  clock: () => number;
  /** One line per notification sent or failed; never a token. */
  log: (line: string) => void;
  /** Backoff of webhook deliveries and status posts (tests shorten it). */
  retry?: Partial<RetryPolicy>;
}

/** How many run ids are remembered as notified; older ones are forgotten first. */
const REMEMBERED_RUNS = 10_000;

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function remember(set: Set<string>, id: string): void {
  set.add(id);
  if (set.size > REMEMBERED_RUNS) {
    const oldest = set.values().next();
    if (oldest.done !== true) set.delete(oldest.value);
  }
}

function describe(outcome: RunOutcome, total: number): string {
  const cached = outcome.cachedCount > 0 ? ` (${outcome.cachedCount} cached)` : '';
  const took = outcome.durationMs === null ? '' : ` in ${Math.round(outcome.durationMs / 1000)}s`;
  switch (outcome.state) {
    case 'pending':
      return 'Queued';
    case 'running': {
      const done = total - outcome.counts.pending - outcome.counts.running;
      return total > 1 ? `Building: ${done} of ${total} done` : 'Building';
    }
    case 'succeeded':
      return `Built ${total} ${total === 1 ? 'build' : 'builds'}${cached}${took}`;
    case 'failed': {
      const names = outcome.failedBuilds.map((failed) => failed.attrPath ?? failed.id).join(', ');
      return `${outcome.failedBuilds.length} of ${total} failed: ${names}`;
    }
    case 'cancelled':
      return 'Cancelled';
    case 'superseded':
      return 'Superseded by a newer run';
  }
}

/**
 * Notifies the outside world about a project's runs: a `pending` commit status when a run is
 * first seen unfinished, and, once its last build ends, the final commit status and the signed
 * `run.finished` webhook, each exactly once per run.
 *
 * "Exactly once" is kept in memory, for one process: a restarted server does not repeat
 * notifications already sent, but would send again if a finished run's build changed status.
 * Every decision is taken synchronously after the run's builds are read, so concurrent calls for
 * the same run cannot both decide to notify; the sends of one run are chained, so a slow pending
 * status can never land after the final one.
 */
export class RunNotifier {
  readonly #ports: NotifierPorts;
  /** Runs whose pending status is decided (sent or being sent). */
  readonly #started = new Set<string>();
  /** Runs whose final notifications are decided. */
  readonly #finished = new Set<string>();
  /** The tail of each run's chain of sends. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(ports: NotifierPorts) {
    this.#ports = ports;
  }

  /**
   * Called on every status change of a build. Resolves when what this call decided to send is
   * sent (or failed and was logged); never rejects, so the build path may ignore the promise.
   */
  async onBuildStatus(build: BuildRecord): Promise<void> {
    const runId = runIdOf(build);
    try {
      if (build.projectId === null || this.#finished.has(runId)) return;
      const project = await this.#ports.getProject(build.projectId);
      if (project === undefined) return;
      if (project.notify.url === null && project.notify.commitStatus === null) return;
      const listed = await this.#ports.listRunBuilds(runId);
      // The build handed in is the freshest record of itself.
      const builds = [...listed.filter((other) => other.id !== build.id), build];
      const outcome = runOutcome(builds);
      if (this.#finished.has(runId)) return;
      if (outcome.finished) {
        remember(this.#finished, runId);
        await this.#enqueue(runId, () => this.#finish(project, runId, builds, outcome));
      } else if (!this.#started.has(runId)) {
        remember(this.#started, runId);
        if (project.notify.commitStatus === null) return;
        await this.#enqueue(runId, () => this.#status(project, runId, builds, outcome));
      }
    } catch (error) {
      this.#ports.log(`notify: run ${runId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Resolves when every send decided so far is done (tests; a graceful shutdown). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  #enqueue(runId: string, send: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(runId) ?? Promise.resolve();
    const next = previous.then(send).catch((error: unknown) => {
      this.#ports.log(`notify: run ${runId}: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.#chains.set(runId, next);
    void next.then(() => {
      if (this.#chains.get(runId) === next) this.#chains.delete(runId);
    });
    return next;
  }

  async #finish(
    project: ProjectRecord,
    runId: string,
    builds: BuildRecord[],
    outcome: RunOutcome,
  ): Promise<void> {
    await Promise.all([
      project.notify.commitStatus === null ? undefined : this.#status(project, runId, builds, outcome),
      project.notify.url === null
        ? undefined
        : this.#webhook(project, project.notify.url, runId, builds, outcome),
    ]);
  }

  async #status(
    project: ProjectRecord,
    runId: string,
    builds: BuildRecord[],
    outcome: RunOutcome,
  ): Promise<void> {
    const target = project.notify.commitStatus;
    if (target === null) return;
    const prefix = `notify ${project.name}: run ${runId}: commit status`;
    try {
      const sha = runCommit(builds)?.sha.toLowerCase();
      if (sha === undefined || !SHA.test(sha)) {
        this.#ports.log(`${prefix} not sent: the run names no commit`);
        return;
      }
      const { statusToken } = await this.#ports.openSecrets(project);
      if (statusToken === undefined || statusToken === '') {
        this.#ports.log(`${prefix} not sent: the project has no status token`);
        return;
      }
      const status: CommitStatus = {
        state: forgeState(outcome.state),
        targetUrl: runUrl(this.#ports.publicUrl, runId, builds),
        description: describe(outcome, builds.length),
        context: `kiln/${project.name}`,
      };
      const request = statusRequest(
        target.forge,
        target.apiUrl,
        parseForgeRepo(project.repoUrl),
        sha,
        status,
        statusToken,
      );
      const code = await postCommitStatus(request, {
        ...(this.#ports.fetch ? { fetch: this.#ports.fetch } : {}),
        ...(this.#ports.retry ? { retry: this.#ports.retry } : {}),
        onRetry: (attempt, reason) =>
          this.#ports.log(`${prefix}: attempt ${attempt} failed (${reason}), retrying`),
      });
      this.#ports.log(`${prefix} ${status.state} set on ${sha.slice(0, 12)} (${code})`);
    } catch (error) {
      this.#ports.log(`${prefix} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #webhook(
    project: ProjectRecord,
    url: string,
    runId: string,
    builds: BuildRecord[],
    outcome: RunOutcome,
  ): Promise<void> {
    const prefix = `notify ${project.name}: run ${runId}: webhook ${redactUrl(url)}`;
    try {
      const { notifySecret } = await this.#ports.openSecrets(project);
      if (notifySecret === undefined || notifySecret === '') {
        this.#ports.log(`${prefix} not sent: the project has no notify secret`);
        return;
      }
      const payload = {
        ...runFinishedEvent(project.name, runId, builds, outcome, this.#ports.publicUrl),
        sentAt: new Date(this.#ports.clock()).toISOString(),
      };
      const result = await deliverWebhook({
        url,
        secret: notifySecret,
        event: RUN_FINISHED_EVENT,
        payload,
        // Stable per run: a receiver can drop a repeat even across a kiln restart.
        deliveryId: `${runId}.${RUN_FINISHED_EVENT}`,
        ...(this.#ports.fetch ? { fetch: this.#ports.fetch } : {}),
        ...(this.#ports.retry ? { retry: this.#ports.retry } : {}),
        onRetry: (attempt, reason) =>
          this.#ports.log(`${prefix}: attempt ${attempt} failed (${reason}), retrying`),
      });
      this.#ports.log(
        `${prefix} delivered ${outcome.state} (${result.status}, ${result.attempts} attempt(s))`,
      );
    } catch (error) {
      this.#ports.log(`${prefix} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
