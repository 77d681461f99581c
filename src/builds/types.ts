import type {
  BuildRecord,
  BuildStep,
  BuildTrigger,
  ImageConfig,
  LogLine,
  BuildProgress,
  MatrixSpec,
} from '../persistence/index.js';

/** What a caller asks for; validated by validateSubmission. */
/** A Nix expression sent by the client. */
export interface ExprSource {
  kind: 'expr';
  expression: string;
  fileName?: string | undefined;
}

/** A Git repository: a flake output or an attribute of its default.nix. */
export interface GitSource {
  kind: 'git';
  url: string;
  /** Branch, tag or full commit SHA; default: the remote HEAD. */
  ref?: string | undefined;
  /** Flake: `packages.<system>.<attr>` for a bare name, as given with dots; default.nix: `-A` path. */
  attr?: string | undefined;
  submodules?: boolean | undefined;
  /** Evaluate to one child build per derivation (a matrix) instead of building `attr`. */
  matrix?: MatrixSpec | undefined;
}

/** A template stored by kiln (or built in), rendered with the given parameter values. */
export interface TemplateSource {
  kind: 'template';
  name: string;
  version?: string | undefined;
  values: Record<string, string>;
}

/** Credentials for a Git source; sealed at rest while the build needs them, never shown. */
export interface SourceCredentials {
  token?: string | undefined;
  sshPrivateKey?: string | undefined;
}

export interface BuildSubmission {
  source: ExprSource | GitSource | TemplateSource;
  credentials?: SourceCredentials | undefined;
  env?: Record<string, string> | undefined;
  timeoutSeconds?: number | undefined;
  maxSilentSeconds?: number | undefined;
  systems?: string[] | undefined;
  serviceId?: string | undefined;
  labels?: Record<string, string> | undefined;
  priority?: number | undefined;
  /** Cache to push the outputs' closure to after a successful build. */
  push?: string | undefined;
  /** `REGISTRY/REPO[:TAG]`: push an OCI image of the outputs there after a successful build. */
  image?: string | undefined;
  /** The image's Entrypoint, Cmd, Env, WorkingDir, ExposedPorts and User. */
  imageConfig?: ImageConfig | undefined;
  /** http(s) URL POSTed (HMAC-signed) after the image is pushed; the `current` tag waits for it. */
  deployHook?: string | undefined;
  /** Who or what asks; set by the edge (API, webhook), not by the caller's body. */
  trigger?: BuildTrigger | undefined;
  /**
   * The run's concurrency group (GitHub Actions semantics): at most one run in progress and one
   * pending; `queue` keeps every pending run instead; `cancelInProgress` also cancels the running one.
   */
  concurrency?:
    { group: string; cancelInProgress?: boolean | undefined; queue?: boolean | undefined } | undefined;
  /** The project the run belongs to (set by the projects service). */
  projectId?: string | undefined;
  /** Git: the commit to build when the caller already knows it (a push webhook); no ls-remote then. */
  commit?: { sha: string; branch: string | null } | undefined;
}

export interface BuildDetails extends BuildRecord {
  steps: BuildStep[];
}

/** Live notifications for subscribers (SSE). A hint only: readers re-read the store. */
export type BuildEvent =
  | { type: 'log'; buildId: string }
  | { type: 'progress'; buildId: string; progress: BuildProgress }
  | { type: 'status'; buildId: string; status: BuildRecord['status'] };

/** Where a service's last good image is. `finishedAt` is epoch milliseconds. */
export interface LastGoodImage {
  buildId: string;
  ref: string;
  digest: string;
  finishedAt: number;
}

export interface Statistics {
  scope: { serviceId: string | null; label: string | null; since: number | null };
  total: number;
  byStatus: Record<string, number>;
  successRate: number | null;
  averageBuildTimeMs: number | null;
  averageArtifactSize: number | null;
  /** Bytes (compressed), over succeeded builds that pushed an image; null when none did. */
  averageImageSize: number | null;
  /** Blob bytes actually uploaded per image push, over the same builds; null when none. */
  averageBytesPushed: number | null;
  /** The image of the succeeded build in scope that finished last; null when there is none. */
  lastGoodImage: LastGoodImage | null;
  queueLength: number;
  workers: { slots: number; busy: number; utilization: number; utilizationWindow: number | null };
}

export interface CleanupResult {
  deletedBuilds: number;
  removedRoots: number;
  keptBuilds: string[];
  dryRun: boolean;
}

export type { LogLine };
