import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applySgr,
  indexedColor,
  parseAnsi,
  PLAIN,
  stripAnsi,
  styleToCss,
  type AnsiSegment,
} from '../../../src/web/client/ansi.js';

const ESC = '\x1b';
/** Segments as [text, classes, inline css] for readable assertions. */
function render(segments: AnsiSegment[]): [string, string, string][] {
  return segments.map((s) => {
    const { classes, css } = styleToCss(s.style);
    return [s.text, classes.join(' '), css];
  });
}

describe('parseAnsi', () => {
  it('leaves a plain line as one unstyled segment', () => {
    const { segments, end } = parseAnsi('hello world');
    assert.deepEqual(render(segments), [['hello world', '', '']]);
    assert.equal(end, PLAIN);
  });

  it('colours the 8 basic and 8 bright foregrounds and backgrounds', () => {
    const line = `${ESC}[31mred${ESC}[92mgreen${ESC}[44mon blue${ESC}[103myellow bg${ESC}[0m`;
    assert.deepEqual(render(parseAnsi(line).segments), [
      ['red', 'ansi-fg-1', ''],
      ['green', 'ansi-fg-10', ''],
      ['on blue', 'ansi-fg-10 ansi-bg-4', ''],
      ['yellow bg', 'ansi-fg-10 ansi-bg-11', ''],
    ]);
  });

  it('renders 256-colour indices: the first 16 themed, the rest as xterm RGB', () => {
    const line = `${ESC}[38;5;9ma${ESC}[38;5;208mb${ESC}[48;5;240mc`;
    assert.deepEqual(render(parseAnsi(line).segments), [
      ['a', 'ansi-fg-9', ''],
      ['b', '', 'color:#ff8700'],
      ['c', '', 'color:#ff8700;background-color:#585858'],
    ]);
  });

  it('renders truecolour in the semicolon and colon forms', () => {
    const line = `${ESC}[38;2;255;10;0mx${ESC}[38:2::0:128:255my${ESC}[48:2:1:2:3mz`;
    assert.deepEqual(render(parseAnsi(line).segments), [
      ['x', '', 'color:#ff0a00'],
      ['y', '', 'color:#0080ff'],
      ['z', '', 'color:#0080ff;background-color:#010203'],
    ]);
  });

  it('applies bold, dim, italic, underline, strike and turns each off again', () => {
    const line = `${ESC}[1mB${ESC}[3mI${ESC}[4mU${ESC}[9mS${ESC}[22;23;24;29mplain${ESC}[2mdim`;
    assert.deepEqual(render(parseAnsi(line).segments), [
      ['B', 'ansi-bold', ''],
      ['I', 'ansi-bold ansi-italic', ''],
      ['U', 'ansi-bold ansi-italic ansi-underline', ''],
      ['S', 'ansi-bold ansi-italic ansi-underline ansi-strike', ''],
      ['plain', '', ''],
      ['dim', 'ansi-dim', ''],
    ]);
  });

  it('resets everything with ESC[0m and with an empty ESC[m', () => {
    const line = `${ESC}[1;31mA${ESC}[mB${ESC}[4;42mC${ESC}[0mD`;
    assert.deepEqual(render(parseAnsi(line).segments), [
      ['A', 'ansi-fg-1 ansi-bold', ''],
      ['B', '', ''],
      ['C', 'ansi-bg-2 ansi-underline', ''],
      ['D', '', ''],
    ]);
  });

  it('resets only the foreground with 39 and the background with 49', () => {
    const line = `${ESC}[31;42ma${ESC}[39mb${ESC}[49mc`;
    assert.deepEqual(render(parseAnsi(line).segments), [
      ['a', 'ansi-fg-1 ansi-bg-2', ''],
      ['b', 'ansi-bg-2', ''],
      ['c', '', ''],
    ]);
  });

  it('swaps colours for inverse video, using the log colours when one is unset', () => {
    assert.deepEqual(render(parseAnsi(`${ESC}[7;31mx`).segments), [['x', 'ansi-inverse-fg ansi-bg-1', '']]);
    assert.deepEqual(render(parseAnsi(`${ESC}[7mx${ESC}[27my`).segments), [
      ['x', 'ansi-inverse-fg ansi-inverse-bg', ''],
      ['y', '', ''],
    ]);
  });

  it('carries the style into the next line, as a terminal does', () => {
    const first = parseAnsi(`${ESC}[32mstarts green`);
    const second = parseAnsi('still green', first.end);
    assert.deepEqual(render(second.segments), [['still green', 'ansi-fg-2', '']]);
    const third = parseAnsi(`${ESC}[0mreset`, second.end);
    assert.equal(third.end, PLAIN);
  });

  it('drops cursor movement, erase and OSC sequences (titles, hyperlinks)', () => {
    const line = `${ESC}[2K${ESC}[1Gdone ${ESC}]0;title\x07${ESC}]8;;https://x${ESC}\\link${ESC}]8;;${ESC}\\ ${ESC}[?25l!`;
    assert.equal(stripAnsi(line), 'done link !');
  });

  it('keeps only what follows the last carriage return (progress bars), but not a trailing one', () => {
    assert.equal(stripAnsi('10%\r50%\r100%'), '100%');
    assert.equal(stripAnsi('done\r'), 'done');
  });

  it('ignores a truncated sequence at the end of a line and other control bytes', () => {
    assert.equal(stripAnsi(`ok${ESC}[31`), 'ok');
    assert.equal(stripAnsi('a\x07b\x00c\td'), 'abc\td');
  });

  it('ignores unknown SGR codes and malformed colour arguments', () => {
    assert.equal(applySgr(PLAIN, '5'), PLAIN); // blink
    assert.equal(applySgr(PLAIN, '38;5;300'), PLAIN);
    assert.equal(applySgr(PLAIN, '38;2;1;2'), PLAIN);
    assert.deepEqual(render(parseAnsi(`${ESC}[38;5;300;1mx`).segments), [['x', 'ansi-bold', '']]);
  });

  it('returns the same style object when nothing changes, so segments merge', () => {
    const red = applySgr(PLAIN, '31');
    assert.equal(applySgr(red, '31'), red);
    const { segments } = parseAnsi(`${ESC}[31ma${ESC}[31mb`);
    assert.deepEqual(render(segments), [['ab', 'ansi-fg-1', '']]);
  });

  it('accepts the 8-bit CSI byte', () => {
    assert.deepEqual(render(parseAnsi('\x9b1mx').segments), [['x', 'ansi-bold', '']]);
  });
});

describe('indexedColor', () => {
  it('maps the 6x6x6 cube and the grey ramp like xterm', () => {
    assert.equal(indexedColor(16), '#000000');
    assert.equal(indexedColor(21), '#0000ff');
    assert.equal(indexedColor(196), '#ff0000');
    assert.equal(indexedColor(231), '#ffffff');
    assert.equal(indexedColor(232), '#080808');
    assert.equal(indexedColor(255), '#eeeeee');
  });
});
