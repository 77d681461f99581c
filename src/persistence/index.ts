export * from './types.js';
export { openSqliteStore } from './sqlite/store.js';
export { openPostgresStore } from './postgres/store.js';
export type { PostgresStore, PostgresStoreOptions } from './postgres/store.js';
export { migrateDatabase, type DatabaseTarget } from './migrate-database.js';
