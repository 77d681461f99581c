export { createKiln, type Kiln, type CreateKilnOptions } from './kiln.js';
export { startKilnServer, apiDepsFor, type StartServerOptions, type RunningServer } from './server.js';
export { createPackagingTools, bumpDependencies, createNixRunner, type PackagingTools } from './packaging.js';
export { migrateConfiguredDatabase, databaseTarget, describeDatabase } from './database.js';
