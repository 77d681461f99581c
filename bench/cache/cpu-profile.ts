/**
 * Preloaded into the kiln server with NODE_OPTIONS=--import when KILN_BENCH_CPU_PROF is set (Node
 * 20 refuses --cpu-prof in NODE_OPTIONS): records a V8 CPU profile for the whole life of the
 * process and writes DIR/kiln-serve-PID.cpuprofile at exit, for Chrome DevTools or speedscope.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['KILN_BENCH_CPU_PROF'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session in the process's own thread answers synchronously, so this runs before exit.
    session.post('Profiler.stop', (error, result) => {
      if (!error)
        writeFileSync(join(dir, `kiln-serve-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
