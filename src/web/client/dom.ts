// Small DOM helpers shared by every page.
import { formatBytes, formatDuration, relativeTime } from './format.js';

export { formatBytes, formatDuration, relativeTime };

export type Child = Node | string | number | null | undefined | false | readonly Child[];
/** Attributes: strings/numbers are set as attributes, `true` as an empty attribute, false/null skipped; `on*` functions become listeners. */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** Builds an element: `h('a', { href: '/x', class: 'link', onclick: … }, 'text', child)`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Appends children (nested arrays flattened, null/false skipped). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child === 'string' || typeof child === 'number')
      parent.appendChild(document.createTextNode(String(child)));
    else if (child instanceof Node) parent.appendChild(child);
    else append(parent, child);
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A coloured pill with the status as its text (e.g. `running`, `timed_out`). */
export function statusBadge(status: string): HTMLSpanElement {
  return h('span', { class: `badge status-${status}`, title: status.replace(/_/g, ' ') }, status);
}

/** An inline error message box. */
export function errorBox(error: unknown): HTMLDivElement {
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'error-box', role: 'alert' }, message);
}

/** A link handled by the client-side router (the shell intercepts clicks on `a[data-link]`). */
export function link(href: string, attrs: Attrs | null, ...children: Child[]): HTMLAnchorElement {
  return h('a', { ...attrs, href, 'data-link': true }, ...children);
}

/**
 * Changes the URL without rendering a new page (e.g. a page's filters): pushes a history entry
 * and tells the shell, so Back renders the previous state.
 */
export function setLocation(url: string): void {
  history.pushState(null, '', url);
  window.dispatchEvent(new Event('kiln:location'));
}
