export { buildApiServer, type ApiServerOptions } from './server.js';
export type { ApiDeps } from './deps.js';
export { statusFor } from './errors.js';
export type * from './schemas.js';
