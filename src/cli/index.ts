/** The CLI's door: everything else in src/cli is internal to it. */
export { runCli, type CliIo } from './run.js';
