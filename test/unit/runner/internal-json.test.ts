import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createInternalJsonParser,
  topLevelIntegerText,
  type NixEvent,
} from '../../../src/runner/nix/index.js';

const nix = (record: unknown): string => `@nix ${JSON.stringify(record)}`;
const buildStart = (id: number | string, drvPath: string): string =>
  `@nix {"action":"start","fields":["${drvPath}","",1,1],"id":${id},"level":3,"text":"building","type":105}`;

function pushAll(lines: string[]): NixEvent[] {
  const parser = createInternalJsonParser();
  return lines.flatMap((l) => parser.push(l));
}

describe('createInternalJsonParser', () => {
  it('returns non-@nix lines as raw text without ANSI codes', () => {
    assert.deepEqual(pushAll(['warning: \u001b[1mplain\u001b[0m']), [
      { type: 'raw', text: 'warning: plain' },
    ]);
    assert.deepEqual(pushAll(['']), [{ type: 'raw', text: '' }]);
    assert.deepEqual(pushAll(['@nixfoo']), [{ type: 'raw', text: '@nixfoo' }]);
  });

  it('returns malformed or non-object JSON as raw and never throws', () => {
    for (const line of [
      '@nix {',
      '@nix {"action":',
      '@nix [1,2]',
      '@nix null',
      '@nix 42',
      '@nix "s"',
      '@nix ',
    ]) {
      assert.deepEqual(pushAll([line]), [{ type: 'raw', text: line }]);
    }
  });

  it('ignores unknown actions, activity types and result types', () => {
    assert.deepEqual(
      pushAll([
        nix({ action: 'bogus' }),
        nix({ action: 'start', id: 1, type: 109, fields: ['/nix/store/x', 'https://cache'] }),
        nix({ action: 'result', id: 1, type: 100, fields: [12] }),
        nix({ action: 'result', id: 1, type: 106, fields: [101, 0] }),
        nix({ action: 'stop', id: 1 }),
        nix({ action: 'stop' }),
      ]),
      [],
    );
  });

  it('reports a substitution (actSubstitute) with the path and the cache', () => {
    assert.deepEqual(
      pushAll([
        nix({ action: 'start', id: 3, type: 108, fields: ['/nix/store/x-dep', 'http://h/cache/c'] }),
        nix({ action: 'stop', id: 3 }),
      ]),
      [{ type: 'substitute-started', storePath: '/nix/store/x-dep', substituter: 'http://h/cache/c' }],
    );
  });

  it('attributes lines and phases to the build activity by id, even interleaved', () => {
    const events = pushAll([
      buildStart(7, '/nix/store/a.drv'),
      buildStart(8, '/nix/store/b.drv'),
      nix({ action: 'result', id: 8, type: 101, fields: ['from b'] }),
      nix({ action: 'result', id: 7, type: 101, fields: ['from a'] }),
      nix({ action: 'result', id: 7, type: 104, fields: ['installPhase'] }),
      nix({ action: 'stop', id: 7 }),
      nix({ action: 'result', id: 7, type: 101, fields: ['after stop'] }),
    ]);
    assert.deepEqual(events, [
      { type: 'build-started', activityId: '7', drvPath: '/nix/store/a.drv', machine: '' },
      { type: 'build-started', activityId: '8', drvPath: '/nix/store/b.drv', machine: '' },
      { type: 'log-line', drvPath: '/nix/store/b.drv', text: 'from b' },
      { type: 'log-line', drvPath: '/nix/store/a.drv', text: 'from a' },
      { type: 'phase', drvPath: '/nix/store/a.drv', phase: 'installPhase' },
      { type: 'build-stopped', activityId: '7', drvPath: '/nix/store/a.drv' },
      { type: 'log-line', drvPath: null, text: 'after stop' },
    ]);
  });

  it('reports progress only for the actBuilds and actCopyPaths activities', () => {
    const events = pushAll([
      nix({ action: 'start', id: 2, type: 104 }),
      nix({ action: 'start', id: 3, type: 103 }),
      nix({ action: 'start', id: 4, type: 102 }),
      nix({ action: 'result', id: 2, type: 105, fields: [1, 3, 1, 0] }),
      nix({ action: 'result', id: 3, type: 105, fields: [0, 2, 2, 0] }),
      nix({ action: 'result', id: 4, type: 105, fields: [9, 9, 9, 9] }),
      nix({ action: 'result', id: 99, type: 105, fields: [9, 9, 9, 9] }),
      nix({ action: 'result', id: 2, type: 105, fields: [1] }),
    ]);
    assert.deepEqual(events, [
      { type: 'progress', done: 1, expected: 3, running: 1, failed: 0 },
      { type: 'substitution-progress', done: 0, expected: 2, running: 2, failed: 0 },
      { type: 'progress', done: 1, expected: 0, running: 0, failed: 0 },
    ]);
  });

  it('keeps activity ids above 2^53 exact, so neighbouring ids do not collide', () => {
    // pid 4194303 << 32 plus a counter: beyond Number.MAX_SAFE_INTEGER.
    const base = 4194303n << 32n;
    const a = (base + 4n).toString();
    const b = (base + 5n).toString();
    assert.equal(Number(a), Number(b), 'the ids are indistinguishable as numbers');
    const events = pushAll([
      buildStart(a, '/nix/store/a.drv'),
      buildStart(b, '/nix/store/b.drv'),
      `@nix {"action":"result","fields":["line"],"id":${a},"type":101}`,
      `@nix {"action":"stop","id":${b}}`,
    ]);
    assert.deepEqual(events.slice(2), [
      { type: 'log-line', drvPath: '/nix/store/a.drv', text: 'line' },
      { type: 'build-stopped', activityId: b, drvPath: '/nix/store/b.drv' },
    ]);
  });

  it('turns level-0 messages into errors and others into messages, without ANSI', () => {
    const events = pushAll([
      nix({ action: 'msg', level: 1, msg: '\u001b[35;1mwarning:\u001b[0m careful' }),
      nix({
        action: 'msg',
        level: 0,
        msg: '\u001b[31;1merror:\u001b[0m boom \u001b[1mx\u001b[0m',
        raw_msg: 'boom \u001b[1mx\u001b[0m',
      }),
      nix({ action: 'msg', level: 0, msg: 'error: no raw message' }),
      nix({ action: 'msg', msg: 'no level' }),
    ]);
    assert.deepEqual(events, [
      { type: 'message', level: 1, text: 'warning: careful' },
      { type: 'error', text: 'boom x', detail: 'boom x', file: null, line: null, column: null },
      {
        type: 'error',
        text: 'no raw message',
        detail: 'no raw message',
        file: null,
        line: null,
        column: null,
      },
      { type: 'message', level: 3, text: 'no level' },
    ]);
  });

  it('accepts a top-level setPhase record and CRLF line endings', () => {
    assert.deepEqual(pushAll(['@nix {"action":"setPhase","phase":"unpackPhase"}\r']), [
      { type: 'phase', drvPath: null, phase: 'unpackPhase' },
    ]);
  });

  it('copes with odd field types', () => {
    const events = pushAll([
      nix({ action: 'start', id: 5, type: 105, fields: [42] }),
      nix({ action: 'result', id: 5, type: 101, fields: [{ a: 1 }] }),
      nix({ action: 'result', id: 5, type: 101 }),
      nix({ action: 'result', id: 5, type: 104, fields: 'nope' }),
    ]);
    assert.deepEqual(events, [
      { type: 'build-started', activityId: '5', drvPath: '', machine: '' },
      { type: 'log-line', drvPath: '', text: '{"a":1}' },
      { type: 'log-line', drvPath: '', text: '' },
      { type: 'phase', drvPath: '', phase: '' },
    ]);
  });

  it('never throws, whatever the line (property)', () => {
    const parser = createInternalJsonParser();
    const records = fc.oneof(
      fc.string(),
      fc.json().map((j) => `@nix ${j}`),
      fc
        .record({
          action: fc.constantFrom('start', 'stop', 'result', 'msg', 'setPhase'),
          id: fc.oneof(fc.nat(), fc.string()),
          type: fc.oneof(fc.integer({ min: 100, max: 110 }), fc.string()),
          level: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constant(null)),
          fields: fc.array(fc.jsonValue(), { maxLength: 5 }),
          msg: fc.jsonValue(),
        })
        .map((r) => nix(r)),
    );
    fc.assert(
      fc.property(records, (line) => {
        const events = parser.push(line);
        assert.ok(Array.isArray(events));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('topLevelIntegerText', () => {
  it('finds top-level keys only, ignoring strings and nested objects that look alike', () => {
    const json =
      '{"fields":["\\"id\\":5","id"],"nested":{"id":6},"text":"id","id":123456789012345678901,"type":1}';
    assert.equal(topLevelIntegerText(json, 'id'), '123456789012345678901');
    assert.equal(topLevelIntegerText(json, 'type'), '1');
    assert.equal(topLevelIntegerText(json, 'text'), null);
    assert.equal(topLevelIntegerText('{"a":{"id":1}}', 'id'), null);
    assert.equal(topLevelIntegerText('{"id" : -3}', 'id'), '-3');
  });
});
