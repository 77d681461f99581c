import { processEnv } from '../config/client-env.js';
import { runCli } from './index.js';

/** Entry point of `./bin/kiln`: wires the real process into runCli and sets the exit code. */
const args = process.argv.slice(2);
// `kiln list | head`: the reader went away, which is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const code = await runCli(args, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: processEnv(),
  isTTY: process.stdout.isTTY === true,
  columns: process.stdout.columns,
  cwd: process.cwd(),
});
process.exitCode = code;
if (args[0] === 'serve') {
  // After close() nothing should keep the event loop alive, but a stray handle in server code must
  // not turn Ctrl-C into a hang: give a clean exit a moment, then end the process.
  setTimeout(() => process.exit(code), 2000).unref();
}
