import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  computedColor,
  hasNoHorizontalOverflow,
  inPage,
  kilnApi,
  launchBrowser,
  openPage,
  phoneViewport,
  signIn,
  type KilnApi,
} from '../helpers/browser.js';
import { drvExpr, waitFor } from '../helpers/nix.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** The highest `data-line` among the log lines the page renders now (0 when none). */
async function lastRenderedLine(page: Page): Promise<number> {
  return inPage<number>(
    page,
    `Math.max(0, ...Array.from(document.querySelectorAll('[data-testid="log-line"]'), (e) => Number(e.getAttribute('data-line')) || 0))`,
  );
}

/** Text of the build page's status (the build page has exactly one `build-status`). */
async function pageStatus(page: Page): Promise<string> {
  return ((await page.getByTestId('build-status').first().textContent()) ?? '').trim();
}

async function waitForPageStatus(page: Page, status: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await pageStatus(page)) === status, {
    timeoutMs,
    what: `the page to show status ${status}`,
  });
}

/** Marks the window so a later check can prove the page was never reloaded or navigated away from. */
async function markWindow(page: Page): Promise<void> {
  await inPage(page, 'window.__kilnMarker = "still here"');
}
async function windowStillMarked(page: Page): Promise<boolean> {
  return (await inPage<string | undefined>(page, 'window.__kilnMarker')) === 'still here';
}

const streamingScript = 'for i in $(seq 1 50); do echo "line $i"; sleep 0.1; done; echo ok > $out';

describe('web UI in Chromium against a real kiln serve', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let api: KilnApi;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-web-ui-'));
    // Several builds of these tests run at once (a long one is cancelled, a 100,000-line one).
    server = await startServerProcess(join(dir, 'data'), [], { KILN_CONCURRENCY: '6' });
    browser = await launchBrowser();
    api = kilnApi(server.url, server.token);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a wrong token visibly, signs in with the admin token, survives a reload and signs out', async (t) => {
    const { page } = await openPage(browser, t);
    await page.goto(server.url);
    await page.getByTestId('token-input').fill('not-a-real-token');
    await page.getByTestId('sign-in').click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /token|unauthori[sz]ed/i);
    assert.equal(
      await page.getByTestId('nav-builds').isVisible(),
      false,
      'a wrong token must not open the app',
    );

    await page.getByTestId('token-input').fill(server.token);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('builds-table').waitFor();

    await page.reload();
    await page.getByTestId('builds-table').waitFor();
    assert.equal(await page.getByTestId('token-input').isVisible(), false, 'still signed in after a reload');

    await page.getByTestId('sign-out').click();
    await page.getByTestId('token-input').waitFor();
    await page.reload();
    await page.getByTestId('token-input').waitFor();
    assert.equal(await page.getByTestId('nav-builds').isVisible(), false, 'signed out stays signed out');
  });

  it('starts a build from the New build page and shows its log arriving live, its success and outputs', async (t) => {
    const { page } = await openPage(browser, t);
    await signIn(page, server.url, server.token);
    await page.getByTestId('nav-new').click();
    await page.getByTestId('expr-input').fill(drvExpr(streamingScript, { name: 'streaming' }));
    await page.getByTestId('submit-build').click();
    await page.waitForURL(/\/builds\/[^/?#]+$/);
    await markWindow(page);
    const id = new URL(page.url()).pathname.split('/').pop()!;

    // Some lines while the build still runs, then more: the log streams in without a reload.
    const seenWhileRunning = await waitFor(
      async () => {
        const last = await lastRenderedLine(page);
        return last >= 3 && (await pageStatus(page)) === 'running' ? last : false;
      },
      { timeoutMs: 30_000, what: 'log lines of the running build' },
    );
    await waitFor(async () => (await lastRenderedLine(page)) > seenWhileRunning, {
      what: 'more log lines to arrive',
    });
    await waitForPageStatus(page, 'succeeded');
    await page.getByTestId('log-line').filter({ hasText: 'line 50' }).waitFor();

    const build = await api.get(id);
    assert.equal(build.status, 'succeeded');
    const outputs = (await page.getByTestId('build-outputs').textContent()) ?? '';
    assert.ok(build.outputs[0] && outputs.includes(build.outputs[0]), `outputs shown: ${outputs}`);
    const progress = (await page.getByTestId('build-progress').textContent()) ?? '';
    assert.match(progress, /1\s*\/\s*1/, `derivations done/expected: ${progress}`);
    assert.match((await page.getByTestId('build-steps').textContent()) ?? '', /realise/);
    assert.ok(await windowStillMarked(page), 'the page was never reloaded');
  });

  it('cancels a running build with the cancel button, on its page and in the list', async (t) => {
    const [long] = await api.submitExpr(
      drvExpr('echo started; sleep 300; echo never > $out', { name: 'long' }),
    );
    assert.ok(long);
    await api.waitForStatus(long.id, ['running']);
    const { page } = await openPage(browser, t);
    page.on('dialog', (dialog) => void dialog.accept()); // a confirmation, if the UI asks for one
    await signIn(page, server.url, server.token);
    await page.goto(`${server.url}/builds/${long.id}`);
    await waitForPageStatus(page, 'running');
    await page.getByTestId('cancel-build').click();
    await waitForPageStatus(page, 'cancelled', 30_000);
    assert.equal((await api.get(long.id)).status, 'cancelled');

    await page.getByTestId('nav-builds').click();
    const row = page.locator(`[data-testid="build-row"][data-build-id="${long.id}"]`);
    await row.waitFor();
    assert.equal(((await row.getByTestId('build-status').textContent()) ?? '').trim(), 'cancelled');
  });

  it('updates the builds list live: a build submitted elsewhere appears and changes status without a reload', async (t) => {
    const { page } = await openPage(browser, t);
    await signIn(page, server.url, server.token);
    await page.getByTestId('builds-table').waitFor();
    await markWindow(page);

    const [build] = await api.submitExpr(
      drvExpr('echo working; sleep 4; echo done > $out', { name: 'live' }),
    );
    assert.ok(build);
    const row = page.locator(`[data-testid="build-row"][data-build-id="${build.id}"]`);
    await row.waitFor({ timeout: 20_000 });
    const rowStatus = async (): Promise<string> =>
      ((await row.getByTestId('build-status').textContent()) ?? '').trim();
    await waitFor(async () => (await rowStatus()) === 'running', { what: 'the row to show running' });
    await waitFor(async () => (await rowStatus()) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'the row to show succeeded',
    });
    assert.ok(await windowStillMarked(page), 'the list updated without a reload or navigation');
  });

  it('renders a 100,000-line log virtualised: line links, search and scrolling work', async (t) => {
    const [big] = await api.submitExpr(
      drvExpr("seq 1 100000 | sed 's/^/row /'; echo done > $out", { name: 'big-log' }),
    );
    assert.ok(big);
    await api.waitForStatus(big.id, ['succeeded'], 90_000);
    const { page } = await openPage(browser, t);
    await signIn(page, server.url, server.token);

    await page.goto(`${server.url}/builds/${big.id}#L99999`);
    const target = page.locator('[data-testid="log-line"][data-line="99999"]');
    await target.waitFor({ timeout: 30_000 });
    assert.ok(await target.isVisible(), 'line 99999 is on screen');
    assert.ok(
      await inViewport(page, '[data-testid="log-line"][data-line="99999"]'),
      'scrolled to line 99999',
    );
    const rendered = await page.getByTestId('log-line').count();
    assert.ok(rendered > 0 && rendered < 5_000, `virtualised: ${rendered} line elements in the DOM`);

    // Lines read `row N` so that the term cannot match a line number.
    await page.getByTestId('log-search').fill('row 77777');
    await page.getByTestId('log-search').press('Enter');
    const found = page.getByTestId('log-line').filter({ hasText: /row 77777(\s|$)/ });
    await found.first().waitFor({ timeout: 15_000 });
    assert.ok(await found.first().isVisible(), 'the search result is shown');
    const foundLine = await found.first().getAttribute('data-line');
    assert.ok(
      await inViewport(page, `[data-testid="log-line"][data-line="${foundLine}"]`),
      'scrolled to the match',
    );
  });

  it('shows ANSI-coloured log lines in colour', async (t) => {
    const script = "printf '\\033[31mred alert\\033[0m plain\\n'; echo done > $out";
    const [build] = await api.submitExpr(drvExpr(script, { name: 'ansi' }));
    assert.ok(build);
    await api.waitForStatus(build.id, ['succeeded']);
    const { page } = await openPage(browser, t);
    await signIn(page, server.url, server.token);
    await page.goto(`${server.url}/builds/${build.id}`);
    const red = page.getByTestId('log').getByText('red alert', { exact: true });
    await red.waitFor();
    const color = await computedColor(red);
    const [r = 0, g = 0, b = 0] = (color.match(/\d+(\.\d+)?/g) ?? []).map(Number);
    assert.ok(r >= 150 && r - g >= 60 && r - b >= 60, `red-ish colour, got ${color}`);
    const plain = await computedColor(page.getByTestId('log-line').filter({ hasText: 'red alert' }));
    assert.notEqual(plain, color, 'the rest of the line keeps the normal colour');
  });

  it('fits a phone screen: no horizontal page scrolling on the builds list and a build page', async (t) => {
    const [build] = await api.submitExpr(
      drvExpr(`echo "${'a-very-long-word-without-spaces-'.repeat(8)}"; echo ok > $out`, { name: 'phone' }),
    );
    assert.ok(build);
    await api.waitForStatus(build.id, ['succeeded']);
    const { page } = await openPage(browser, t, { viewport: phoneViewport, isMobile: true });
    await signIn(page, server.url, server.token);
    await page.getByTestId('builds-table').waitFor();
    await page.getByTestId('build-row').first().waitFor();
    const list = await hasNoHorizontalOverflow(page);
    assert.ok(list.ok, `builds list: scrollWidth ${list.scrollWidth} > clientWidth ${list.clientWidth}`);

    await page.goto(`${server.url}/builds/${build.id}`);
    await page.getByTestId('log-line').first().waitFor();
    await waitForPageStatus(page, 'succeeded');
    const buildPage = await hasNoHorizontalOverflow(page);
    assert.ok(
      buildPage.ok,
      `build page: scrollWidth ${buildPage.scrollWidth} > clientWidth ${buildPage.clientWidth}`,
    );
  });
});

/** True when the element's box intersects the visible part of the page (and of its scroll container). */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  return inPage<boolean>(
    page,
    `(() => {
      const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return false;
      const r = e.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 20), r.top + r.height / 2);
      return r.bottom > 0 && r.top < window.innerHeight && !!hit && (hit === e || e.contains(hit));
    })()`,
  );
}
