export * from './types.js';
export { openSqliteStore } from './sqlite/store.js';
