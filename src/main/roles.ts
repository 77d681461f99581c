import type { ServerRole } from '../persistence/index.js';

/** What one process runs, decided by its role; the only place that maps roles to parts. */
export interface RolePlan {
  /** The HTTP surface: the whole API and web UI, the binary cache routes only, or /healthz only. */
  http: 'full' | 'cache' | 'health';
  /** Build workers: claim builds, register in the worker registry, heartbeat. */
  workers: boolean;
  /**
   * Sweeps for builds whose worker died (expired leases, this node's earlier process). Only processes
   * that run workers do it: an API process must not take builds from workers it cannot see.
   */
  recovery: boolean;
  /** The periodic garbage collection of caches (one place per deployment, next to the API). */
  cacheGc: boolean;
}

export function rolePlan(role: ServerRole): RolePlan {
  switch (role) {
    case 'all':
      return { http: 'full', workers: true, recovery: true, cacheGc: true };
    case 'api':
      return { http: 'full', workers: false, recovery: false, cacheGc: true };
    case 'worker':
      return { http: 'health', workers: true, recovery: true, cacheGc: false };
    case 'cache':
      return { http: 'cache', workers: false, recovery: false, cacheGc: false };
  }
}
