export { buildApiServer, type ApiServerOptions } from './server.js';
export type { ApiDeps } from './deps.js';
export type { WorkerView } from './routes/workers.js';
export type * from './schemas.js';
export type { VersionSyncView, CreateVersionSyncBody, RunVersionSyncBody } from './routes/version-syncs.js';
export type {
  ProjectView,
  CreateProjectBody,
  UpdateProjectBody,
  ProjectBuildBody,
} from './routes/projects.js';
