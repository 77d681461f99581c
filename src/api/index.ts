export { buildApiServer, type ApiServerOptions } from './server.js';
export type { ApiDeps } from './deps.js';
export type * from './schemas.js';
