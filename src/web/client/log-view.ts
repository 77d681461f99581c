// A virtualised log box: only the rows in view (plus a margin) are in the DOM, so 100,000 lines
// scroll and stream smoothly. Line numbers are links (#L123); search highlights matches.
import { styleToCss } from './ansi.js';
import { h } from './dom.js';
import type { LogModel } from './log-model.js';
import {
  findMatches,
  lineHash,
  markSegments,
  matchesOnLine,
  parseLineHash,
  stepMatch,
  visibleRange,
  type Match,
} from './search.js';

/** Must match `.log-line { height }` in app.css. */
export const ROW_HEIGHT = 20;

export class LogView {
  readonly box: HTMLDivElement;
  readonly #spacer: HTMLDivElement;
  readonly #rows: HTMLDivElement;
  #follow = true;
  #scheduled = false;
  #selection: { start: number; end: number } | null = null;
  #query = '';
  #matches: Match[] = [];
  #current = -1;
  #searchedUpTo = 0;
  onFollowChange: (follow: boolean) => void = () => undefined;
  onMatchesChange: (count: number, current: number) => void = () => undefined;

  constructor(readonly model: LogModel) {
    this.#spacer = h('div', { class: 'log-spacer' });
    this.#rows = h('div', { class: 'log-rows' });
    this.box = h(
      'div',
      { class: 'log', 'data-testid': 'log', tabindex: 0, role: 'log', 'aria-label': 'Build log' },
      this.#spacer,
      this.#rows,
    );
    this.box.addEventListener('scroll', () => {
      const atBottom = this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - ROW_HEIGHT;
      if (atBottom !== this.#follow) this.setFollow(atBottom);
      this.#schedule();
    });
    this.#rows.addEventListener('click', (event) => {
      const anchor = event.target instanceof Element ? event.target.closest('a.ln') : null;
      if (!anchor) return;
      event.preventDefault();
      const line = Number(anchor.closest('.log-line')?.getAttribute('data-line'));
      if (!Number.isInteger(line) || line < 1) return;
      const start = event.shiftKey && this.#selection ? this.#selection.start : line;
      this.select(start, line, false);
      history.replaceState(history.state, '', lineHash(Math.min(start, line), Math.max(start, line)));
    });
    new ResizeObserver(() => this.#schedule()).observe(this.box);
  }

  get follow(): boolean {
    return this.#follow;
  }

  setFollow(follow: boolean): void {
    if (follow === this.#follow) return;
    this.#follow = follow;
    if (follow) this.#scrollTo(this.model.length * ROW_HEIGHT);
    this.onFollowChange(follow);
  }

  /** Call after lines were added to the model. */
  appended(): void {
    this.#spacer.style.height = `${this.model.length * ROW_HEIGHT}px`;
    this.box.style.setProperty('--rows', String(this.model.length));
    if (this.#query) {
      const found = findMatches(
        this.model.plain,
        this.#query,
        { limit: 100_000 - this.#matches.length },
        this.#searchedUpTo,
      );
      this.#searchedUpTo = this.model.length;
      if (found.length > 0) {
        this.#matches.push(...found);
        this.onMatchesChange(this.#matches.length, this.#current);
      }
    }
    if (this.#follow) this.#scrollTo(this.model.length * ROW_HEIGHT);
    this.#schedule();
  }

  /** Selects lines (1-based, inclusive) and scrolls the first into view. */
  select(start: number, end: number = start, scroll = true): void {
    this.#selection = { start: Math.min(start, end), end: Math.max(start, end) };
    if (scroll) this.scrollToLine(this.#selection.start);
    this.#schedule();
  }

  /** Applies `#L…` from the location, when the lines exist; returns whether it did. */
  selectFromHash(hash: string): boolean {
    const range = parseLineHash(hash);
    if (!range || range.start > this.model.length) return false;
    this.select(range.start, Math.min(range.end, this.model.length));
    // A line link opened from elsewhere: the log box may be below the fold, bring it into view too.
    this.box.scrollIntoView({ block: 'nearest' });
    return true;
  }

  scrollToLine(line: number): void {
    this.setFollow(false);
    const top = (line - 1) * ROW_HEIGHT - this.box.clientHeight / 3;
    this.#scrollTo(Math.max(0, top));
  }

  search(query: string): void {
    this.#query = query;
    this.#matches = query ? findMatches(this.model.plain, query) : [];
    this.#searchedUpTo = this.model.length;
    this.#current = -1;
    this.onMatchesChange(this.#matches.length, this.#current);
    if (this.#matches.length > 0) this.step(1);
    this.#schedule();
  }

  /** Goes to the next (1) or previous (-1) match. */
  step(direction: 1 | -1): void {
    const from = Math.floor(this.box.scrollTop / ROW_HEIGHT);
    this.#current = stepMatch(this.#matches, this.#current, direction, from);
    const match = this.#matches[this.#current];
    if (match) this.scrollToLine(match.line + 1);
    this.onMatchesChange(this.#matches.length, this.#current);
    this.#schedule();
  }

  #scrollTo(top: number): void {
    this.box.scrollTop = top;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      this.render();
    });
  }

  /** Renders the rows in view (called on scroll, resize and new lines, at most once a frame). */
  render(): void {
    const { first, last } = visibleRange(
      this.box.scrollTop,
      this.box.clientHeight || 600,
      ROW_HEIGHT,
      this.model.length,
    );
    this.#rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) rows.push(this.#row(i));
    this.#rows.replaceChildren(...rows);
  }

  #row(index: number): HTMLElement {
    const number = index + 1;
    const selected =
      this.#selection !== null && number >= this.#selection.start && number <= this.#selection.end;
    const stream = this.model.streams[index] ?? 'build';
    const text = h('span', { class: 'txt' });
    const ranges = this.#query
      ? matchesOnLine(this.#matches, index).map(({ index: i, match }) => ({
          start: match.start,
          end: match.end,
          current: i === this.#current,
        }))
      : [];
    for (const piece of markSegments(this.model.segments(index), ranges)) {
      const { classes, css } = styleToCss(piece.style);
      if (piece.mark !== 'none') classes.push(piece.mark === 'current' ? 'hl-current' : 'hl');
      if (classes.length === 0 && !css) text.append(piece.text);
      else {
        const span = h('span', { class: classes.join(' ') || null }, piece.text);
        if (css) span.style.cssText = css;
        text.append(span);
      }
    }
    return h(
      'div',
      {
        class: `log-line stream-${stream}${selected ? ' selected' : ''}`,
        'data-testid': 'log-line',
        'data-line': number,
      },
      h('a', { class: 'ln', href: `#L${number}`, 'aria-label': `Line ${number}` }, String(number)),
      text,
    );
  }
}
