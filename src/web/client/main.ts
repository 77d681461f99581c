// The app shell: top navigation, sign-in gate and the client-side router.
import { ApiClient, tokenStore } from './api.js';
import { h, replaceChildren } from './dom.js';
import type { PageContext } from './page.js';
import { routes } from './pages/index.js';
import { findRoute } from './routes.js';

const SERVER_PREFIXES = ['/api/', '/cache/', '/ui/', '/metrics', '/healthz'];

const app = document.getElementById('app') ?? document.body;
const main = h('main', { id: 'main', class: 'main' });
let cleanup: (() => void) | void = undefined;
let current = '';

function signInPath(): string {
  const here = location.pathname + location.search;
  return here === '/' || here.startsWith('/sign-in')
    ? '/sign-in'
    : `/sign-in?next=${encodeURIComponent(here)}`;
}

const api = new ApiClient(
  () => tokenStore.get(),
  () => {
    tokenStore.clear();
    if (location.pathname !== '/sign-in') navigate(signInPath());
  },
);

function navLink(href: string, testid: string, ...label: (string | Node)[]): HTMLAnchorElement {
  return h('a', { href, 'data-testid': testid, 'data-link': true, class: 'nav-link' }, ...label);
}

const signOut = h(
  'button',
  { type: 'button', class: 'btn ghost small', 'data-testid': 'sign-out' },
  'Sign out',
);
signOut.addEventListener('click', () => {
  tokenStore.clear();
  navigate('/sign-in');
});
const nav = h(
  'nav',
  { class: 'nav', 'aria-label': 'Main' },
  navLink('/', 'nav-builds', 'Builds'),
  navLink('/projects', 'nav-projects', 'Projects'),
  navLink('/caches', 'nav-caches', 'Caches'),
  navLink('/stats', 'nav-stats', 'Statistics'),
  // Two test ids on one control: the nav contract (nav-new) and the new-build action (new-build).
  navLink('/new', 'nav-new', h('span', { 'data-testid': 'new-build' }, '+ New build')),
);
const header = h(
  'header',
  { class: 'topbar' },
  h('a', { href: '/', 'data-link': true, class: 'brand' }, h('span', { class: 'brand-mark' }), 'kiln'),
  nav,
  h('div', { class: 'topbar-end' }, signOut),
);
replaceChildren(app, header, main);

/** Client-side navigation; a change of the hash alone does not re-render the page. */
export function navigate(path: string, replace = false): void {
  const target = new URL(path, location.href);
  const samePage = target.pathname === location.pathname && target.search === location.search;
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  if (samePage && target.hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else render();
}

function render(): void {
  const path = location.pathname;
  const signedIn = tokenStore.get() !== null;
  if (!signedIn && path !== '/sign-in') {
    navigate(signInPath(), true);
    return;
  }
  const key = path + location.search;
  if (key === current) return;
  current = key;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  header.classList.toggle('signed-out', !signedIn);
  for (const a of nav.querySelectorAll<HTMLAnchorElement>('a.nav-link')) {
    const href = a.getAttribute('href') ?? '';
    const active = href === '/' ? path === '/' || path.startsWith('/builds/') : path.startsWith(href);
    a.classList.toggle('active', active);
  }
  const match = findRoute(routes, path);
  main.replaceChildren();
  main.scrollTop = 0;
  window.scrollTo(0, 0);
  if (!match) {
    document.title = 'Not found · kiln';
    replaceChildren(
      main,
      h(
        'div',
        { class: 'card empty' },
        h('h1', null, 'Page not found'),
        h(
          'p',
          null,
          'Nothing lives at ',
          h('code', null, path),
          '. ',
          h('a', { href: '/', 'data-link': true }, 'Back to builds'),
        ),
      ),
    );
    return;
  }
  document.title = `${match.page.title} · kiln`;
  const ctx: PageContext = {
    api,
    params: match.params,
    query: new URLSearchParams(location.search),
    navigate: (to) => navigate(to),
  };
  try {
    cleanup = match.page.render(main, ctx);
  } catch (error) {
    console.error(error);
    replaceChildren(main, h('div', { class: 'error-box' }, String(error)));
  }
}

// Same-origin links become client-side navigations, except the server's own paths.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const target = event.target instanceof Element ? event.target.closest('a') : null;
  if (!target || target.target || target.hasAttribute('download')) return;
  const url = new URL(target.href, location.href);
  if (url.origin !== location.origin) return;
  if (SERVER_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => render());
// A page changed its own URL (setLocation): it already shows that state.
window.addEventListener('kiln:location', () => (current = location.pathname + location.search));
// A re-render after a popstate to the same path (hash only) is not needed: `current` guards it.
render();
