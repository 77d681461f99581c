import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../../../src/web/client/sse.js';

describe('SseParser', () => {
  it('parses named events with ids and data', () => {
    const parser = new SseParser();
    const events = parser.push(
      'retry: 1000\n\nevent: line\nid: 7\ndata: {"seq":7}\n\nevent: end\ndata: {}\n\n',
    );
    assert.deepEqual(events, [
      { event: 'line', data: '{"seq":7}', id: '7' },
      { event: 'end', data: '{}', id: null },
    ]);
    assert.equal(parser.lastEventId, '7');
  });

  it('joins several data lines with newlines and defaults the event name to message', () => {
    assert.deepEqual(new SseParser().push('data: a\ndata: b\ndata\n\n'), [
      { event: 'message', data: 'a\nb\n', id: null },
    ]);
  });

  it('ignores comments (keep-alive pings) and events without data', () => {
    assert.deepEqual(new SseParser().push(': ping\n\nevent: lonely\n\n: another\n'), []);
  });

  it('reassembles events split anywhere across chunks', () => {
    const text = 'event: build\ndata: {"id":"x","status":"running"}\n\nevent: build\ndata: {"id":"y"}\n\n';
    for (let size = 1; size <= text.length; size++) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      assert.deepEqual(
        events.map((e) => e.data),
        ['{"id":"x","status":"running"}', '{"id":"y"}'],
        `chunk size ${size}`,
      );
    }
  });

  it('accepts CRLF and CR line ends, also when a CRLF is split between chunks', () => {
    const parser = new SseParser();
    const events = [...parser.push('data: a\r'), ...parser.push('\n\r'), ...parser.push('\ndata: b\r\r')];
    assert.deepEqual(
      events.map((e) => e.data),
      ['a', 'b'],
    );
  });

  it('keeps a value without the optional space and keeps further colons', () => {
    assert.deepEqual(new SseParser().push('data:x: y\n\n'), [{ event: 'message', data: 'x: y', id: null }]);
  });

  it('holds back an unfinished event until its blank line arrives', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('event: line\ndata: 1\n'), []);
    assert.deepEqual(parser.push('\n'), [{ event: 'line', data: '1', id: null }]);
  });
});
