export { loadConfig } from './load.js';
export { clientEnv, processEnv, type Env } from './client-env.js';
export { ConfigSchema, type KilnConfig, type ConfigInput } from './schema.js';
