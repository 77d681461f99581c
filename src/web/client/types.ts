// The API's JSON shapes as the UI reads them (mirrors src/api/schemas.ts; only what pages use).

export type BuildStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'timed_out'
  | 'superseded'
  | 'dependency_failed';

export const BUILD_STATUSES: readonly BuildStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'superseded',
  'dependency_failed',
];

export interface ProgressView {
  done: number;
  expected: number;
  running: number;
  failed: number;
  phase: string | null;
  activeDrv: string | null;
}

export interface StepView {
  name: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  detail: string | null;
}

export interface CommitView {
  sha: string;
  branch: string | null;
  author: string;
  authorEmail: string;
  date: string;
  subject: string;
}

export interface ImageView {
  ref: string;
  digest: string;
  tags: string[];
  size: number;
  bytesUploaded: number;
  pushDurationMs: number;
  current?: boolean;
  fallback?: boolean;
  index?: { ref: string; digest: string; tags: string[]; platforms: string[] };
}

export interface BuildView {
  id: string;
  status: BuildStatus;
  source: {
    kind: string;
    fileName?: string;
    url?: string;
    ref?: string;
    attr?: string;
    name?: string;
    version?: string;
    sync?: string;
    tag?: string;
    matrix?: { sets: string[]; attrs: string[]; systems: string[] };
  };
  system: string | null;
  groupId: string | null;
  serviceId: string | null;
  labels: Record<string, string>;
  priority: number;
  envNames: string[];
  timeoutSeconds: number;
  maxSilentSeconds: number;
  drvPaths: string[];
  outputs: string[];
  artifactSize: number | null;
  exitCode: number | null;
  error: string | null;
  reason: string | null;
  progress: ProgressView;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  attempts: number;
  cancelRequestedAt: string | null;
  cached: boolean;
  commit: CommitView | null;
  image: ImageView | null;
  imageRef: string | null;
  pushCache: string | null;
  substituted: string[];
  built: string[];
  pushed: string[];
  projectId: string | null;
  trigger: { kind: string; actor: string | null; forge?: string; deliveryId?: string } | null;
  concurrencyKey: string | null;
  dependsOn: string[];
  attrPath: string | null;
  steps?: StepView[];
}

export interface ListBuildsResponse {
  builds: BuildView[];
  nextBefore: number | null;
}

export interface LogLineView {
  seq: number;
  ts: string;
  stream: string;
  text: string;
}

export function isTerminal(status: BuildStatus): boolean {
  return status !== 'pending' && status !== 'running';
}
