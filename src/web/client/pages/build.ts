import {
  addPhase,
  drvName,
  failureText,
  progressPercent,
  sourceText,
  timeline,
  type PhaseEntry,
} from '../build-facts.js';
import {
  type Child,
  errorBox,
  formatBytes,
  h,
  link,
  relativeTime,
  replaceChildren,
  statusBadge,
} from '../dom.js';
import { elapsedMs, formatDuration, shortSha, storePathName } from '../format.js';
import { follow } from '../live.js';
import { LogModel } from '../log-model.js';
import { LogView } from '../log-view.js';
import type { Page, PageContext } from '../page.js';
import { isTerminal, type BuildView, type LogLineView, type ProgressView } from '../types.js';

/** `/builds/:id`: status, facts, progress, steps and phases, outputs, and the live log. */
export const buildPage: Page = {
  title: 'Build',
  render(root, ctx) {
    const id = ctx.params['id'] ?? '';
    const stop = new AbortController();
    document.title = `Build ${id} · kiln`;
    replaceChildren(root, h('div', { class: 'muted loading' }, 'Loading…'));
    const timers: number[] = [];
    ctx.api
      .get<BuildView>(`/api/v1/builds/${encodeURIComponent(id)}`)
      .then((build) => {
        if (!stop.signal.aborted) mount(root, ctx, build, stop.signal, timers);
      })
      .catch((error: unknown) => {
        if (!stop.signal.aborted)
          replaceChildren(
            root,
            h('div', { class: 'page-head' }, h('h1', null, `Build ${id}`)),
            errorBox(error),
          );
      });
    return () => {
      stop.abort();
      for (const t of timers) clearInterval(t);
    };
  },
};

function mount(
  root: HTMLElement,
  ctx: PageContext,
  initial: BuildView,
  signal: AbortSignal,
  timers: number[],
): void {
  let build = initial;
  let progress: ProgressView = initial.progress;
  let phases: readonly PhaseEntry[] = [];
  const model = new LogModel();
  const view = new LogView(model);

  // Header.
  const statusSlot = h('span');
  const cancel = h(
    'button',
    { type: 'button', class: 'btn danger', 'data-testid': 'cancel-build' },
    'Cancel',
  );
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    ctx.api
      .post<BuildView>(`/api/v1/builds/${encodeURIComponent(build.id)}/cancel`)
      .then((updated) => update(updated))
      .catch((error: unknown) => {
        cancel.disabled = false;
        replaceChildren(notice, errorBox(error));
      });
  });
  const notice = h('div');
  const facts = h('dl', { class: 'facts' });
  const failure = h('div');
  const progressBox = h('section', { class: 'card', 'data-testid': 'build-progress' });
  const stepsBox = h('section', { class: 'card', 'data-testid': 'build-steps' });
  const outputsBox = h('section', { class: 'card', 'data-testid': 'build-outputs' });

  // Log toolbar.
  const search = h('input', {
    type: 'search',
    placeholder: 'Search log',
    'aria-label': 'Search log',
    'data-testid': 'log-search',
    class: 'log-search',
  });
  const count = h('span', { class: 'match-count muted' });
  const prev = h(
    'button',
    { type: 'button', class: 'btn small', title: 'Previous match (Shift+Enter)' },
    '↑',
  );
  const next = h('button', { type: 'button', class: 'btn small', title: 'Next match (Enter)' }, '↓');
  const followToggle = h(
    'button',
    { type: 'button', class: 'btn small toggle on', 'aria-pressed': 'true' },
    'Follow',
  );
  const download = h('button', { type: 'button', class: 'btn small' }, 'Download');
  const lineCount = h('span', { class: 'muted small' });
  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => view.search(search.value), 150);
  });
  search.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    clearTimeout(searchTimer);
    if (view.model.length > 0 && search.dataset['searched'] !== search.value) {
      search.dataset['searched'] = search.value;
      view.search(search.value);
    } else view.step(event.shiftKey ? -1 : 1);
  });
  search.addEventListener('search', () => search.value === '' && view.search(''));
  prev.addEventListener('click', () => view.step(-1));
  next.addEventListener('click', () => view.step(1));
  followToggle.addEventListener('click', () => view.setFollow(!view.follow));
  view.onFollowChange = (on) => {
    followToggle.classList.toggle('on', on);
    followToggle.setAttribute('aria-pressed', String(on));
  };
  view.onMatchesChange = (n, current) => {
    search.dataset['searched'] = search.value;
    count.textContent = search.value
      ? n === 0
        ? 'no matches'
        : `${current >= 0 ? current + 1 : 0} / ${n}`
      : '';
  };
  download.addEventListener('click', () => {
    ctx.api
      .get<{ lines: LogLineView[] }>(`/api/v1/builds/${encodeURIComponent(build.id)}/log?limit=100000`)
      .then((page) => {
        const blob = new Blob([page.lines.map((l) => l.text + '\n').join('')], { type: 'text/plain' });
        const a = h('a', { href: URL.createObjectURL(blob), download: `kiln-${build.id}.log` });
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      })
      .catch((error: unknown) => replaceChildren(notice, errorBox(error)));
  });

  replaceChildren(
    root,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        { class: 'title-row' },
        h('h1', null, 'Build ', h('span', { class: 'mono' }, build.id)),
        statusSlot,
      ),
      h('div', { class: 'actions' }, cancel),
    ),
    notice,
    failure,
    h(
      'div',
      { class: 'build-grid' },
      h('section', { class: 'card' }, h('h2', null, 'Details'), facts),
      h('div', { class: 'stack' }, progressBox, stepsBox),
    ),
    h(
      'section',
      { class: 'card log-card' },
      h(
        'div',
        { class: 'log-toolbar' },
        h('h2', null, 'Log ', lineCount),
        h('div', { class: 'log-tools' }, search, count, prev, next, followToggle, download),
      ),
      view.box,
    ),
    outputsBox,
  );

  function update(next: BuildView): void {
    build = next;
    progress = next.progress;
    renderAll();
  }

  function renderAll(): void {
    const badge = statusBadge(build.status);
    badge.setAttribute('data-testid', 'build-status');
    replaceChildren(statusSlot, badge);
    cancel.hidden = isTerminal(build.status);
    if (build.cancelRequestedAt && !isTerminal(build.status)) {
      cancel.disabled = true;
      cancel.textContent = 'Cancelling…';
    }
    renderFacts();
    const why = failureText(build);
    replaceChildren(
      failure,
      why
        ? h('div', { class: `failure status-${build.status}` }, h('strong', null, 'Not succeeded. '), why)
        : null,
    );
    renderProgress();
    renderSteps();
    renderOutputs();
  }

  function fact(label: string, ...value: Child[]): Child {
    return [h('dt', null, label), h('dd', null, ...value)];
  }

  const durationText = (): string => {
    const ms = elapsedMs(build);
    return ms === null ? '—' : formatDuration(ms);
  };

  function renderFacts(): void {
    const c = build.commit;
    replaceChildren(
      facts,
      fact('Source', h('span', { class: 'mono wrap' }, sourceText(build.source))),
      build.projectId ? fact('Project', build.projectId) : null,
      c
        ? fact(
            'Commit',
            h('code', { class: 'sha', title: c.sha }, shortSha(c.sha)),
            ' ',
            c.subject,
            h(
              'div',
              { class: 'muted small' },
              `${c.author}${c.branch ? ` on ${c.branch}` : ''} · ${relativeTime(c.date)}`,
            ),
          )
        : null,
      build.trigger
        ? fact(
            'Trigger',
            build.trigger.kind,
            build.trigger.actor ? h('span', { class: 'muted' }, ` by ${build.trigger.actor}`) : null,
          )
        : null,
      build.groupId
        ? fact(
            'Group',
            link(`/groups/${encodeURIComponent(build.groupId)}`, { class: 'mono' }, build.groupId),
          )
        : null,
      build.system ? fact('System', h('span', { class: 'mono' }, build.system)) : null,
      build.attrPath ? fact('Attribute', h('span', { class: 'mono' }, build.attrPath)) : null,
      build.dependsOn.length > 0
        ? fact(
            'Depends on',
            ...build.dependsOn.map((d) => [
              link(`/builds/${encodeURIComponent(d)}`, { class: 'mono' }, d),
              ' ',
            ]),
          )
        : null,
      fact(
        'Created',
        h('time', { datetime: build.createdAt, title: build.createdAt }, relativeTime(build.createdAt)),
      ),
      fact('Duration', h('span', { class: 'build-duration' }, durationText())),
      build.attempts > 1 ? fact('Attempts', String(build.attempts)) : null,
      build.cached ? fact('Cached', 'answered from an earlier build') : null,
      build.envNames.length > 0
        ? fact('Environment', h('span', { class: 'mono' }, build.envNames.join(', ')))
        : null,
      fact('Timeout', formatDuration(build.timeoutSeconds * 1000)),
    );
  }

  function renderProgress(): void {
    const percent = progressPercent(progress);
    const bar = h(
      'div',
      { class: 'progress-bar' },
      h('div', { class: 'progress-fill', style: `width:${percent ?? 0}%` }),
    );
    const active = drvName(progress.activeDrv);
    replaceChildren(
      progressBox,
      h('h2', null, 'Progress'),
      h(
        'div',
        { class: 'progress-numbers' },
        h('span', { class: 'big' }, `${progress.done} / ${progress.expected}`),
        h('span', { class: 'muted' }, ' derivations'),
        progress.running > 0 ? h('span', { class: 'muted' }, ` · ${progress.running} running`) : null,
        progress.failed > 0 ? h('span', { class: 'text-failed' }, ` · ${progress.failed} failed`) : null,
      ),
      bar,
      progress.phase || active
        ? h(
            'div',
            { class: 'small' },
            progress.phase ? h('span', { class: 'phase-pill' }, progress.phase) : null,
            active ? h('span', { class: 'mono muted' }, ` ${active}`) : null,
          )
        : null,
      phaseList(),
    );
  }

  function phaseList(): Child {
    const fromLog = model.phases.map((p) => ({ phase: p.phase, drv: null, at: null, line: p.line }));
    const all = [...phases, ...fromLog];
    if (all.length === 0) return null;
    return h(
      'details',
      { class: 'phases', open: true },
      h('summary', null, `Nix phases (${all.length})`),
      h(
        'ol',
        { class: 'phase-list' },
        ...all
          .slice(-50)
          .map((p) =>
            h(
              'li',
              null,
              h('span', { class: 'phase-pill' }, p.phase),
              p.drv ? h('span', { class: 'mono muted small' }, ` ${drvName(p.drv) ?? ''}`) : null,
              p.at ? h('span', { class: 'muted small' }, ` ${new Date(p.at).toLocaleTimeString()}`) : null,
              p.line
                ? h('a', { href: `#L${p.line}`, class: 'small', 'data-line-link': p.line }, ` line ${p.line}`)
                : null,
            ),
          ),
      ),
    );
  }

  function renderSteps(): void {
    const bars = timeline(build.steps ?? []);
    replaceChildren(
      stepsBox,
      h('h2', null, 'Steps'),
      bars.length === 0
        ? h(
            'p',
            { class: 'muted' },
            build.status === 'pending' ? 'Waiting in the queue.' : 'No steps recorded.',
          )
        : h(
            'ol',
            { class: 'timeline' },
            ...bars.map((bar) =>
              h(
                'li',
                { class: `step step-${bar.status}` },
                h(
                  'div',
                  { class: 'step-head' },
                  h('span', { class: 'step-name' }, bar.name),
                  h('span', { class: 'muted small' }, bar.label),
                ),
                h(
                  'div',
                  { class: 'step-track' },
                  h('div', { class: 'step-bar', style: `left:${bar.left}%;width:${bar.width}%` }),
                ),
                bar.detail ? h('div', { class: 'muted small wrap' }, bar.detail) : null,
              ),
            ),
          ),
    );
  }

  function renderOutputs(): void {
    const image = build.image;
    const items: Child[] = [];
    if (build.outputs.length > 0)
      items.push(
        h(
          'ul',
          { class: 'outputs' },
          ...build.outputs.map((path) =>
            h('li', null, h('code', { class: 'wrap', title: storePathName(path) }, path), copyButton(path)),
          ),
        ),
      );
    else
      items.push(
        h(
          'p',
          { class: 'muted' },
          isTerminal(build.status) ? 'No outputs.' : 'Outputs appear when the build succeeds.',
        ),
      );
    const dl = h(
      'dl',
      { class: 'facts' },
      fact('Closure size', formatBytes(build.artifactSize)),
      build.pushCache
        ? fact(
            'Pushed to cache',
            build.pushCache,
            build.pushed.length > 0 ? ` (${build.pushed.length} paths)` : '',
          )
        : null,
      build.built.length > 0 || build.substituted.length > 0
        ? fact('Built / substituted', `${build.built.length} / ${build.substituted.length}`)
        : null,
      image
        ? fact(
            'Image',
            h('code', { class: 'wrap' }, image.ref),
            h('div', null, h('code', { class: 'wrap small' }, image.digest), copyButton(image.digest)),
            h(
              'div',
              { class: 'muted small' },
              `${formatBytes(image.size)}, ${formatBytes(image.bytesUploaded)} uploaded in ${formatDuration(image.pushDurationMs)}`,
            ),
          )
        : build.imageRef
          ? fact(
              'Image',
              h('code', { class: 'wrap' }, build.imageRef),
              h('span', { class: 'muted' }, ' (not pushed yet)'),
            )
          : null,
    );
    replaceChildren(outputsBox, h('h2', null, 'Outputs'), ...items, dl);
  }

  // Line links inside the page (phase list) select lines without a reload.
  root.addEventListener('click', (event) => {
    const a = event.target instanceof Element ? event.target.closest('a[data-line-link]') : null;
    if (!a) return;
    event.preventDefault();
    const line = Number(a.getAttribute('data-line-link'));
    view.select(line);
    history.replaceState(history.state, '', `#L${line}`);
  });
  const onHash = (): void => {
    view.selectFromHash(location.hash);
  };
  window.addEventListener('hashchange', onHash);
  signal.addEventListener('abort', () => window.removeEventListener('hashchange', onHash));

  // The live log: stored lines first, then new ones; `status` and `end` carry the BuildView.
  let pendingHash = location.hash !== '' ? location.hash : null;
  let flushScheduled = false;
  const flushLines = (): void => {
    flushScheduled = false;
    view.appended();
    lineCount.textContent = `${model.length.toLocaleString()} lines`;
    if (pendingHash && view.selectFromHash(pendingHash)) pendingHash = null;
    if (model.phases.length > 0) renderProgress();
  };
  let ended = false;
  let refreshing = false;
  const refresh = (): void => {
    if (refreshing || signal.aborted) return;
    refreshing = true;
    ctx.api
      .get<BuildView>(`/api/v1/builds/${encodeURIComponent(build.id)}`)
      .then(update)
      .catch(() => undefined)
      .finally(() => (refreshing = false));
  };
  follow(
    ctx.api,
    () => `/api/v1/builds/${encodeURIComponent(build.id)}/log?follow=1&after=${model.lastSeq}`,
    {
      onEvent: (event, data) => {
        if (event === 'line') {
          const line = JSON.parse(data) as LogLineView;
          model.append(line.seq, line.text, line.stream);
          if (!flushScheduled) {
            flushScheduled = true;
            requestAnimationFrame(flushLines);
          }
        } else if (event === 'progress') {
          progress = JSON.parse(data) as ProgressView;
          if (progress.phase)
            phases = addPhase(phases, {
              phase: progress.phase,
              drv: progress.activeDrv,
              at: Date.now(),
              line: null,
            });
          renderProgress();
        } else if (event === 'status' || event === 'end') {
          update(JSON.parse(data) as BuildView);
          if (event === 'end') {
            ended = true;
            // Steps after the build (closure size, push, image) land in the record; read it once more.
            refresh();
          }
        }
      },
      done: () => ended,
    },
    signal,
  );

  // Durations tick while running; steps and facts that change without a status change are re-read.
  timers.push(
    window.setInterval(() => {
      const cell = facts.querySelector('.build-duration');
      if (cell && build.status === 'running') cell.textContent = durationText();
      if (build.status === 'running') renderSteps();
    }, 1000),
    window.setInterval(() => {
      if (!isTerminal(build.status) && document.visibilityState === 'visible') refresh();
    }, 5000),
  );
  renderAll();
}

function copyButton(text: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn tiny ghost', title: 'Copy' }, 'Copy');
  button.addEventListener('click', () => {
    void navigator.clipboard?.writeText(text).then(() => {
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = 'Copy'), 1200);
    });
  });
  return button;
}
