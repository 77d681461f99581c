import type { LogsPlan } from '../args/index.js';
import { connect } from '../connection.js';
import { signalHook, timingOf, writeLine, type CliIo } from '../io.js';
import { sanitizeForTerminal, stripControl } from '../render/text.js';
import { LOG_PAGE, watchBuild } from '../watch.js';
import { INTERRUPTED } from './follow-session.js';
import { FollowDisplay } from './display.js';

export async function runLogs(plan: LogsPlan, io: CliIo): Promise<number> {
  const client = connect(plan.client, io);
  if (!plan.follow) {
    const clean = io.isTTY ? sanitizeForTerminal : stripControl;
    let after = 0;
    for (;;) {
      const page = await client.getLog(plan.id, { after, limit: LOG_PAGE });
      for (const line of page.lines) writeLine(io.stdout, clean(line.text));
      if (page.complete || page.lines.length === 0 || page.nextAfter <= after) return 0;
      after = page.nextAfter;
    }
  }

  const timing = timingOf(io);
  // The build view gives the status line its starting point (and fails early on an unknown id).
  const build = await client.getBuild(plan.id);
  const display = new FollowDisplay(io, {
    logSink: io.stdout,
    statusLine: io.isTTY,
    redrawIntervalMs: timing.redrawIntervalMs,
  });
  display.add(build, undefined);
  const controller = new AbortController();
  let interrupted = false;
  const removeSignal = signalHook(io)(() => {
    interrupted = true;
    controller.abort(new Error('interrupted'));
  });
  display.start();
  try {
    await watchBuild(client, plan.id, {
      timing,
      wantLines: true,
      signal: controller.signal,
      onLine: (line) => display.line(plan.id, line),
      onProgress: (progress) => display.progress(plan.id, progress),
      onStatus: (view) => display.status(view),
    });
  } catch (err) {
    if (!interrupted) throw err;
    return INTERRUPTED;
  } finally {
    display.stop();
    removeSignal();
  }
  return 0;
}
