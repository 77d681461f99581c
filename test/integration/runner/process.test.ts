import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  killProcessTree,
  processStartTime,
  readProcStat,
  runSupervised,
} from '../../../src/process/index.js';
import { processesWithCmdline, uniqueSleepSeconds, waitFor } from './helpers.js';

const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };

async function collect(
  command: string,
  args: string[],
  extra: Partial<Parameters<typeof runSupervised>[0]> = {},
) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const result = await runSupervised({
    command,
    args,
    env,
    onStdoutLine: (l) => stdout.push(l),
    onStderrLine: (l) => stderr.push(l),
    ...extra,
  });
  return { result, stdout, stderr };
}

describe('runSupervised', () => {
  it('passes arguments verbatim, without a shell', async () => {
    const { result, stdout } = await collect('/bin/echo', ['$HOME; echo injected', '`id`', 'a  b']);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(stdout, ['$HOME; echo injected `id` a  b']);
  });

  it('gives the child exactly the environment passed, nothing inherited', async () => {
    process.env.KILN_SHOULD_NOT_LEAK = 'secret';
    try {
      const { stdout } = await collect('/usr/bin/env', [], { env: { ONLY: 'this', PATH: '/usr/bin:/bin' } });
      assert.deepEqual(stdout.sort(), ['ONLY=this', 'PATH=/usr/bin:/bin']);
    } finally {
      delete process.env.KILN_SHOULD_NOT_LEAK;
    }
  });

  it('feeds stdin, separates stdout from stderr and flushes unterminated last lines', async () => {
    const { result, stdout, stderr } = await collect(
      '/bin/sh',
      ['-c', 'cat; printf "err1\\nerr2" >&2; exit 7'],
      {
        stdin: 'in1\nin2',
      },
    );
    assert.equal(result.exitCode, 7);
    assert.equal(result.signal, null);
    assert.equal(result.timedOut, false);
    assert.equal(result.aborted, false);
    assert.deepEqual(stdout, ['in1', 'in2']);
    assert.deepEqual(stderr, ['err1', 'err2']);
  });

  it('runs the child as the leader of its own process group and reports its start time', async () => {
    let spawned: { pid: number; startTime: string | null } | undefined;
    const { stdout } = await collect('/bin/sh', ['-c', 'cut -d" " -f5 /proc/$$/stat'], {
      onSpawn: (pid, startTime) => {
        spawned = { pid, startTime };
      },
    });
    assert.ok(spawned);
    assert.deepEqual(stdout, [String(spawned.pid)]);
    assert.match(spawned.startTime ?? '', /^\d+$/);
  });

  it('delivers a 3 MB line in pieces of at most maxLineChars', async () => {
    const { stdout } = await collect(
      '/bin/sh',
      ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a; echo; echo end'],
      {
        maxLineChars: 1024 * 1024,
      },
    );
    assert.deepEqual(
      stdout.map((l) => l.length),
      [1048576, 1048576, 902848, 3],
    );
  });

  it('kills on the wall-clock timeout', async () => {
    const { result } = await collect('/bin/sleep', ['30'], { timeoutMs: 200 });
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGTERM');
    assert.ok(result.durationMs < 5000, `took ${result.durationMs} ms`);
  });

  it('kills on abort, and does not start at all when already aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const { result } = await collect('/bin/sleep', ['30'], { signal: controller.signal });
    assert.equal(result.aborted, true);
    assert.ok(result.durationMs < 5000);

    let spawned = false;
    const pre = await runSupervised({
      command: '/bin/sleep',
      args: ['30'],
      env,
      signal: AbortSignal.abort(),
      onSpawn: () => {
        spawned = true;
      },
    });
    assert.equal(pre.aborted, true);
    assert.equal(spawned, false);
  });

  it('SIGKILLs a child that ignores SIGTERM once the grace period is over', async () => {
    const { result } = await collect(
      '/bin/sh',
      ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'],
      {
        timeoutMs: 100,
        killGraceMs: 300,
      },
    );
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(result.durationMs >= 350, `took ${result.durationMs} ms`);
  });

  it('also kills descendants that moved to their own session (like Nix builders)', async () => {
    const seconds = uniqueSleepSeconds();
    const controller = new AbortController();
    const script = `setsid sleep ${seconds} & trap "exit 0" TERM; echo started; wait`;
    const done = collect('/bin/sh', ['-c', script], {
      signal: controller.signal,
      onStdoutLine: () => controller.abort(),
    });
    const { result } = await done;
    assert.equal(result.aborted, true);
    await waitFor(() => processesWithCmdline(`sleep ${seconds}`).length === 0, 3000, `no sleep ${seconds}`);
  });

  it('rejects when the program cannot be started', async () => {
    await assert.rejects(runSupervised({ command: '/nonexistent/kiln-prog', args: [], env }), /ENOENT/);
  });

  it('rejects with the error of a throwing line callback and stops the child', async () => {
    const started = Date.now();
    await assert.rejects(
      runSupervised({
        command: '/bin/sh',
        args: ['-c', 'echo one; sleep 30'],
        env,
        killGraceMs: 200,
        onStdoutLine: () => {
          throw new Error('consumer broke');
        },
      }),
      /consumer broke/,
    );
    assert.ok(Date.now() - started < 5000);
  });
});

describe('killProcessTree', () => {
  function startOrphanTree(seconds: string): number {
    // Detached and unreferenced, like a nix-store left behind by a crashed server.
    const child = spawn('/bin/sh', ['-c', `setsid sleep ${seconds} & sleep ${seconds}`], {
      detached: true,
      stdio: 'ignore',
      env,
    });
    child.unref();
    assert.ok(child.pid);
    return child.pid;
  }

  it('kills the process, its group and descendants in other sessions when the start time matches', async () => {
    const seconds = uniqueSleepSeconds();
    const pid = startOrphanTree(seconds);
    await waitFor(() => processesWithCmdline(`sleep ${seconds}`).length === 2, 3000, 'both sleeps');
    const startTime = processStartTime(pid) ?? undefined;
    const result = await killProcessTree(pid, startTime, { graceMs: 500 });
    assert.equal(result.found, true);
    await waitFor(() => processesWithCmdline(`sleep ${seconds}`).length === 0, 3000, 'all sleeps gone');
  });

  it('kills nothing when the pid now belongs to another process', async () => {
    const seconds = uniqueSleepSeconds();
    const pid = startOrphanTree(seconds);
    await waitFor(() => processesWithCmdline(`sleep ${seconds}`).length === 2, 3000, 'both sleeps');
    try {
      const result = await killProcessTree(pid, '1', { graceMs: 100 });
      assert.deepEqual(result, { found: false, signalled: 0 });
      assert.ok(readProcStat(pid));
      assert.equal(processesWithCmdline(`sleep ${seconds}`).length, 2);
    } finally {
      await killProcessTree(pid, undefined, { graceMs: 100 });
    }
    await waitFor(() => processesWithCmdline(`sleep ${seconds}`).length === 0, 3000, 'cleanup');
  });

  it('reports a pid that does not exist, and refuses to touch itself or init', async () => {
    assert.deepEqual(await killProcessTree(0x7ffffff0), { found: false, signalled: 0 });
    assert.deepEqual(await killProcessTree(process.pid), { found: false, signalled: 0 });
    assert.deepEqual(await killProcessTree(1), { found: false, signalled: 0 });
  });
});
