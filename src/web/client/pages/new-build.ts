import { errorBox, h, replaceChildren } from '../dom.js';
import { submitBody } from '../new-build-form.js';
import type { Page } from '../page.js';
import type { BuildView } from '../types.js';

const EXAMPLE = `derivation {
  name = "hello";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo hello; echo hello > $out" ];
}`;

/** `/new`: a build from a Nix expression or a Git repository; goes to its page once queued. */
export const newBuildPage: Page = {
  title: 'New build',
  render(root, ctx) {
    const expr = h('textarea', {
      id: 'expr',
      rows: 10,
      spellcheck: 'false',
      class: 'mono',
      placeholder: EXAMPLE,
      'data-testid': 'expr-input',
    });
    const url = h('input', {
      id: 'git-url',
      type: 'text',
      inputmode: 'url',
      placeholder: 'https://github.com/acme/app.git',
      'data-testid': 'git-url-input',
    });
    const ref = h('input', { id: 'git-ref', type: 'text', placeholder: 'main' });
    const attr = h('input', { id: 'git-attr', type: 'text', placeholder: 'packages.x86_64-linux.default' });
    const systems = h('input', { id: 'systems', type: 'text', placeholder: 'x86_64-linux, i686-linux' });
    const timeout = h('input', { id: 'timeout', type: 'number', min: 1, placeholder: 'default' });
    const push = h('input', { id: 'push', type: 'text', placeholder: 'cache name (optional)' });
    const message = h('div');
    const submit = h(
      'button',
      { type: 'submit', class: 'btn primary', 'data-testid': 'submit-build' },
      'Start build',
    );
    const field = (id: string, label: string, input: HTMLElement, hint?: string): HTMLElement =>
      h(
        'div',
        { class: 'field' },
        h('label', { for: id }, label),
        input,
        hint ? h('div', { class: 'hint' }, hint) : null,
      );

    const form = h(
      'form',
      { class: 'card form' },
      h('h2', null, 'From a Nix expression'),
      field(
        'expr',
        'Expression',
        expr,
        'The contents of a .nix file that evaluates to one or more derivations.',
      ),
      h('div', { class: 'or' }, h('span', null, 'or')),
      h('h2', null, 'From a Git repository'),
      field('git-url', 'Repository URL', url),
      h(
        'div',
        { class: 'field-row' },
        field('git-ref', 'Branch, tag or commit', ref),
        field('git-attr', 'Attribute', attr),
      ),
      h('h2', null, 'Options'),
      h(
        'div',
        { class: 'field-row' },
        field('systems', 'Systems', systems, 'One build per system.'),
        field('timeout', 'Timeout (seconds)', timeout),
        field('push', 'Push to cache', push),
      ),
      message,
      h('div', { class: 'form-actions' }, submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const result = submitBody({
        expression: expr.value,
        gitUrl: url.value,
        gitRef: ref.value,
        gitAttr: attr.value,
        systems: systems.value,
        timeoutSeconds: timeout.value,
        push: push.value,
      });
      if ('error' in result) {
        replaceChildren(message, errorBox(result.error));
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Evaluating…';
      replaceChildren(message);
      ctx.api
        .post<{ builds: BuildView[] }>('/api/v1/builds', result.body)
        .then(({ builds }) => {
          // Several systems make a group; the first build's page links to it.
          const first = builds[0];
          ctx.navigate(first ? `/builds/${encodeURIComponent(first.id)}` : '/');
        })
        .catch((error: unknown) => {
          replaceChildren(message, errorBox(error));
          submit.disabled = false;
          submit.textContent = 'Start build';
        });
    });
    replaceChildren(root, h('div', { class: 'page-head' }, h('h1', null, 'New build')), form);
  },
};
