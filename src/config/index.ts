export { loadConfig, clientEnv } from './load.js';
export { ConfigSchema, type KilnConfig, type ConfigInput } from './schema.js';
