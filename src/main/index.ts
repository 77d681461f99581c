export { createKiln, type Kiln, type CreateKilnOptions } from './kiln.js';
export { startKilnServer, type StartServerOptions, type RunningServer } from './server.js';
