import type { BuildRecord, BuildStep, LogLine, BuildProgress } from '../persistence/index.js';

/** What a caller asks for; validated by validateSubmission. */
export interface BuildSubmission {
  source: { kind: 'expr'; expression: string; fileName?: string | undefined };
  env?: Record<string, string> | undefined;
  timeoutSeconds?: number | undefined;
  maxSilentSeconds?: number | undefined;
  systems?: string[] | undefined;
  serviceId?: string | undefined;
  labels?: Record<string, string> | undefined;
  priority?: number | undefined;
  /** Cache to push the outputs' closure to after a successful build. */
  push?: string | undefined;
}

export interface BuildDetails extends BuildRecord {
  steps: BuildStep[];
}

/** Live notifications for subscribers (SSE). A hint only: readers re-read the store. */
export type BuildEvent =
  | { type: 'log'; buildId: string }
  | { type: 'progress'; buildId: string; progress: BuildProgress }
  | { type: 'status'; buildId: string; status: BuildRecord['status'] };

export interface Statistics {
  scope: { serviceId: string | null; label: string | null; since: number | null };
  total: number;
  byStatus: Record<string, number>;
  successRate: number | null;
  averageBuildTimeMs: number | null;
  averageArtifactSize: number | null;
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
