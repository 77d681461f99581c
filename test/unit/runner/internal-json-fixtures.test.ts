import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureLines, ofType, replay } from './fixtures.js';

const isDrv = (suffix: string) => (path: string | null) => path !== null && path.endsWith(`-${suffix}.drv`);

describe('internal-json fixtures: two derivations (x86_64 and i686)', () => {
  const events = replay('success-two-derivations.jsonl');

  it('reports both builds starting and stopping, with their drv paths and the local machine', () => {
    const started = ofType(events, 'build-started');
    assert.equal(started.length, 2);
    assert.ok(started.some((e) => isDrv('kiln-fixture-a')(e.drvPath)));
    assert.ok(started.some((e) => isDrv('kiln-fixture-b')(e.drvPath)));
    assert.ok(started.every((e) => e.machine === ''));
    const stopped = ofType(events, 'build-stopped');
    assert.deepEqual(stopped.map((e) => e.drvPath).sort(), started.map((e) => e.drvPath).sort());
    for (const stop of stopped) {
      assert.equal(stop.activityId, started.find((s) => s.drvPath === stop.drvPath)?.activityId);
    }
  });

  it('attributes every builder line to its derivation', () => {
    const lines = ofType(events, 'log-line');
    const of = (suffix: string) => lines.filter((e) => isDrv(suffix)(e.drvPath)).map((e) => e.text);
    assert.deepEqual(of('kiln-fixture-a'), ['hello from a', 'after phase']);
    assert.deepEqual(of('kiln-fixture-b'), ['hello from b', 'i686']);
    assert.equal(lines.length, 4);
  });

  it('turns the builder-emitted setPhase into a phase event of that derivation', () => {
    const phases = ofType(events, 'phase');
    assert.equal(phases.length, 1);
    assert.equal(phases[0]?.phase, 'buildPhase');
    assert.ok(isDrv('kiln-fixture-a')(phases[0]?.drvPath ?? null));
    // The phase arrives between the two lines of the builder that emitted it.
    const order = events.filter(
      (e) => e.type === 'phase' || (e.type === 'log-line' && isDrv('kiln-fixture-a')(e.drvPath)),
    );
    assert.deepEqual(
      order.map((e) => e.type),
      ['log-line', 'phase', 'log-line'],
    );
  });

  it('reports overall progress from the actBuilds activity, ending 2 of 2 done', () => {
    const progress = ofType(events, 'progress');
    assert.ok(progress.length > 0);
    assert.deepEqual(progress.at(-1), { type: 'progress', done: 2, expected: 2, running: 0, failed: 0 });
    assert.ok(progress.every((p) => p.done <= p.expected || p.expected === 0));
    assert.ok(ofType(events, 'substitution-progress').every((p) => p.expected === 0));
  });

  it('passes Nix messages through and reports no error', () => {
    const messages = ofType(events, 'message');
    assert.ok(messages.some((m) => m.text === 'these 2 derivations will be built:' && m.level === 3));
    assert.equal(ofType(events, 'error').length, 0);
    assert.equal(ofType(events, 'raw').length, 0);
  });

  it('keeps activity ids as exact strings', () => {
    const ids = ofType(events, 'build-started').map((e) => e.activityId);
    for (const id of ids) {
      assert.match(id, /^\d+$/);
      assert.ok(fixtureLines('success-two-derivations.jsonl').some((l) => l.includes(`"id":${id}`)));
    }
  });
});

describe('internal-json fixtures: failing builder with a dependent derivation', () => {
  const events = replay('builder-failure.jsonl');

  it('reports the builder failure and the dependency failure as ANSI-free errors', () => {
    const errors = ofType(events, 'error');
    assert.equal(errors.length, 2);
    assert.match(
      errors[0]?.text ?? '',
      /^builder for '\/nix\/store\/\w+-kiln-fixture-broken\.drv' failed with exit code 3$/,
    );
    assert.match(
      errors[1]?.text ?? '',
      /^1 dependencies of derivation '.*-kiln-fixture-top\.drv' failed to build$/,
    );
    for (const error of errors) {
      assert.ok(!error.text.includes('\u001b') && !error.detail.includes('\u001b'));
      assert.ok(!error.detail.startsWith('error:'));
    }
  });

  it('keeps the builder lines, stdout and stderr merged, colours untouched', () => {
    const lines = ofType(events, 'log-line').map((e) => e.text);
    assert.deepEqual(lines, ['line one', 'line two', '\u001b[31mred\u001b[0m']);
    assert.ok(ofType(events, 'log-line').every((e) => isDrv('kiln-fixture-broken')(e.drvPath)));
  });

  it('ends with one failed derivation in the progress', () => {
    const progress = ofType(events, 'progress');
    assert.ok(progress.some((p) => p.failed === 1));
    assert.equal(ofType(events, 'build-started').length, 1);
  });
});

describe('internal-json fixtures: timeouts', () => {
  it('reports the --timeout error with the derivation and the last line', () => {
    const events = replay('timeout.jsonl');
    const errors = ofType(events, 'error');
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]?.text ?? '',
      /^building of '.*-kiln-fixture-sleep\.drv!\*' from \.drv file timed out after 1 seconds$/,
    );
    assert.deepEqual(
      ofType(events, 'log-line').map((e) => e.text),
      ['starting'],
    );
  });

  it('reports the max-silent-time error as "of silence"', () => {
    const errors = ofType(replay('silent-timeout.jsonl'), 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.text ?? '', /timed out after 1 seconds of silence$/);
  });
});

describe('internal-json fixtures: evaluation and parse errors', () => {
  it('gives the bare message, the full message with position, and the location fields', () => {
    const errors = ofType(replay('eval-error.jsonl'), 'error');
    const [first, hint] = errors;
    assert.equal(first?.text, "attribute 'b' missing");
    assert.match(
      first?.detail ?? '',
      /^attribute 'b' missing\n\n\s+at \/tmp\/kiln-fixture\/eval\.nix:1:120:/,
    );
    assert.match(first?.detail ?? '', /Did you mean a\?$/);
    assert.equal(first?.file, '/tmp/kiln-fixture/eval.nix');
    assert.equal(first?.line, 1);
    assert.equal(first?.column, 120);
    // The show-trace hint is a level-0 message too; consumers filter it by text.
    assert.match(hint?.text ?? '', /^\(use '--show-trace'/);
    assert.equal(hint?.file, null);
  });

  it('reports syntax errors with their position', () => {
    const [error] = ofType(replay('parse-error.jsonl'), 'error');
    assert.equal(error?.text, "syntax error, unexpected end of file, expecting ';'");
    assert.equal(error?.line, 1);
    assert.equal(error?.column, 8);
  });
});
