import type { ApiClient } from './api.js';

/** What a page gets from the router. */
export interface PageContext {
  api: ApiClient;
  /** Named segments of the route pattern, e.g. `{ id }` for `/builds/:id`. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Client-side navigation (pushes a history entry and renders the new page). */
  navigate(path: string): void;
}

/** One screen of the UI. `render` may return a cleanup run when the user leaves the page. */
export interface Page {
  title: string;
  render(root: HTMLElement, ctx: PageContext): (() => void) | void;
}
