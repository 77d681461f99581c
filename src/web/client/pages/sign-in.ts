import { ApiClient, tokenStore } from '../api.js';
import { errorBox, h, replaceChildren } from '../dom.js';
import type { Page } from '../page.js';

/** Paste an admin token; it is checked with an API call before it is kept in localStorage. */
export const signInPage: Page = {
  title: 'Sign in',
  render(root, ctx) {
    const input = h('input', {
      type: 'password',
      id: 'token',
      name: 'token',
      autocomplete: 'current-password',
      placeholder: 'kiln admin token',
      required: true,
      'data-testid': 'token-input',
    });
    const message = h('div', { class: 'form-message' });
    const button = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'sign-in' }, 'Sign in');
    const form = h(
      'form',
      { class: 'card sign-in' },
      h('h1', null, 'Sign in to kiln'),
      h(
        'p',
        { class: 'muted' },
        'Paste an admin token. ',
        h('code', null, 'kiln serve'),
        ' writes one to ',
        h('code', null, 'DATA/admin.token'),
        '.',
      ),
      h('label', { for: 'token' }, 'Token'),
      input,
      message,
      h('div', { class: 'form-actions' }, button),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      button.disabled = true;
      replaceChildren(message);
      // Checked against an admin-only endpoint, without the 401 redirect of the shared client.
      const probe = new ApiClient(() => token);
      probe
        .get('/api/v1/builds?limit=1')
        .then(() => {
          tokenStore.set(token);
          const next = ctx.query.get('next');
          ctx.navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
        })
        .catch((error: unknown) => {
          replaceChildren(message, errorBox(error));
          button.disabled = false;
        });
    });
    replaceChildren(root, h('div', { class: 'center' }, form));
    input.focus();
  },
};
