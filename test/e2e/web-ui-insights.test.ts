import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  hasNoHorizontalOverflow,
  kilnApi,
  launchBrowser,
  openPage,
  phoneViewport,
  saveScreenshot,
  signIn,
  type KilnApi,
  type TestPage,
} from '../helpers/browser.js';
import { waitFor } from '../helpers/nix.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { seedShowcase, type Showcase } from '../helpers/ui-showcase.js';

/**
 * The group, projects, caches and statistics pages in a real browser against a real `kiln serve`
 * with real builds: what they show matches the API, they update live, their buttons work, and on a
 * phone the page never scrolls sideways.
 */

interface GroupApi {
  status: string;
  finished: boolean;
  builds: { id: string; status: string; cached: boolean; attrPath: string | null; system: string | null }[];
}

async function groupFromApi(api: KilnApi, id: string): Promise<GroupApi> {
  const res = await api.request('GET', `/api/v1/groups/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as GroupApi;
}

/** The titles of the charts inside `scope`, in page order. */
async function chartTitles(scope: Locator): Promise<string[]> {
  const charts = scope.getByTestId('chart');
  const titles: string[] = [];
  for (let i = 0; i < (await charts.count()); i++)
    titles.push((await charts.nth(i).getAttribute('data-chart')) ?? '');
  return titles;
}

async function cellStatuses(page: Page): Promise<string[]> {
  const cells = page.getByTestId('matrix-cell');
  const statuses: string[] = [];
  for (let i = 0; i < (await cells.count()); i++)
    statuses.push((await cells.nth(i).getAttribute('data-status')) ?? '');
  return statuses.sort();
}

describe('web UI: group, projects, caches and statistics pages', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let api: KilnApi;
  let showcase: Showcase;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-web-insights-'));
    server = await startServerProcess(join(dir, 'data'), [], {
      KILN_CONCURRENCY: '6',
      KILN_GIT_ALLOW_LOCAL: '1',
    });
    browser = await launchBrowser();
    api = kilnApi(server.url, server.token);
    showcase = await seedShowcase(api, server.url, join(dir, 'repos'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(t: TestContext, path: string, phone = false): Promise<TestPage> {
    const opened = await openPage(browser, t, phone ? { viewport: phoneViewport, isMobile: true } : {});
    await signIn(opened.page, server.url, server.token);
    await opened.page.goto(new URL(path, server.url).href);
    return opened;
  }

  it('shows a matrix run as a grid of attribute x system with the API’s statuses', async (t) => {
    const group = await waitFor(
      async () => {
        const found = await groupFromApi(api, showcase.groupId);
        return found.finished ? found : undefined;
      },
      { timeoutMs: 120_000, what: 'the showcase matrix to finish' },
    );
    const { page, problems } = await open(t, `/groups/${showcase.groupId}`);
    const root = page.getByTestId('group-page');
    await root
      .getByTestId('matrix-cell')
      .nth(showcase.groupAttrs.length * showcase.groupSystems.length - 1)
      .waitFor();
    const children = group.builds.filter((build) => build.attrPath !== null);
    assert.equal(await root.getByTestId('matrix-cell').count(), children.length);
    assert.deepEqual(
      await cellStatuses(page),
      children
        .map((build) => (build.status === 'succeeded' && build.cached ? 'cached' : build.status))
        .sort(),
    );
    assert.equal((await root.getByTestId('group-status').textContent())?.trim(), group.status);
    for (const system of showcase.groupSystems) await root.locator('thead').getByText(system).waitFor();
    // Every cell links to its build's page.
    const child = children[0]!;
    const cell = root.locator(`[data-testid="matrix-cell"][data-build-id="${child.id}"]`);
    assert.equal(await cell.getAttribute('data-system'), child.system);
    await cell.getByRole('link').click();
    await page.waitForURL(`**/builds/${child.id}`);
    assert.deepEqual(problems.consoleErrors, []);
  });

  it('lists projects, shows the webhook URL, and “Build now” starts a run whose group page fills in live', async (t) => {
    const { page, problems } = await open(t, '/projects');
    const row = page.getByTestId('project-row').filter({ hasText: showcase.projectName });
    await row.getByRole('link', { name: showcase.projectName }).click();
    await page.waitForURL(`**/projects/${showcase.projectName}`);
    const project = page.getByTestId('project-page');
    assert.equal(
      await project.getByTestId('webhook-url').textContent(),
      `${server.url}/api/v1/hooks/projects/${showcase.projectName}`,
    );
    await project.getByTestId('project-builds').getByTestId('group-link').first().waitFor();

    await project.getByTestId('build-branch').fill('main');
    await project.getByTestId('build-now').click();
    // The run's group page opens at once, while the evaluation has not made the children yet;
    // they appear and finish without a reload.
    await page.waitForURL('**/groups/**');
    const groupId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    const cells = page.getByTestId('group-page').getByTestId('matrix-cell');
    const expected = showcase.groupAttrs.length * showcase.groupSystems.length;
    await waitFor(
      async () => {
        const statuses = await cellStatuses(page);
        return statuses.length === expected && statuses.every((s) => s === 'cached' || s === 'succeeded')
          ? statuses
          : undefined;
      },
      { timeoutMs: 120_000, what: 'the new run’s cells to finish on the page' },
    );
    assert.equal(await cells.count(), expected);
    const group = await groupFromApi(api, groupId);
    assert.equal((await page.getByTestId('group-status').textContent())?.trim(), group.status);
    assert.deepEqual(problems.consoleErrors, []);
  });

  it('shows each cache’s size, objects and charts, and creates and revokes a token', async (t) => {
    const { page, problems } = await open(t, '/caches');
    const card = page.locator(`[data-testid="cache-card"][data-cache="${showcase.cacheName}"]`);
    const info = (await (await api.request('GET', `/api/v1/caches/${showcase.cacheName}`)).json()) as {
      usage: { objects: number };
    };
    assert.equal(
      await card.getByTestId('cache-objects').locator('.tile-value').textContent(),
      String(info.usage.objects),
    );
    await card.getByTestId('chart').nth(1).waitFor();
    assert.deepEqual(await chartTitles(card), ['Hit rate', 'Traffic']);

    const tokens = card.getByTestId('cache-tokens');
    const before = await tokens.getByTestId('token-row').count();
    await tokens.locator('select[name="perm"]').selectOption('push');
    await tokens.locator('input[name="description"]').fill('ui test');
    await tokens.getByTestId('create-token').click();
    const secret = (await tokens.getByTestId('new-token').textContent()) ?? '';
    assert.ok(secret.length >= 16, 'the new secret is shown once');
    const created = tokens.getByTestId('token-row').filter({ hasText: 'ui test' });
    await created.waitFor();
    assert.equal(await tokens.getByTestId('token-row').count(), before + 1);
    // The secret works as a push token for this cache.
    const check = await fetch(`${server.url}/api/v1/caches/${showcase.cacheName}/missing-paths`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ storePathHashes: [] }),
    });
    assert.equal(check.status, 200);

    page.once('dialog', (dialog) => void dialog.accept());
    await created.getByTestId('revoke-token').click();
    await created.getByText(/revoked/).waitFor();
    const refused = await fetch(`${server.url}/api/v1/caches/${showcase.cacheName}/missing-paths`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ storePathHashes: [] }),
    });
    assert.equal(refused.status, 401);
    assert.deepEqual(problems.consoleErrors, []);
  });

  it('charts statistics over a chosen range with the totals of /api/v1/stats', async (t) => {
    const { page, problems } = await open(t, '/stats');
    const stats = page.getByTestId('stats-page');
    await stats.getByTestId('chart').nth(4).waitFor();
    assert.deepEqual(await chartTitles(stats), [
      'Success rate',
      'Build time',
      'Builds finished',
      'Queue length (average pending builds)',
      'Worker utilisation (6 slots)',
    ]);
    const totals = (await (await api.request('GET', '/api/v1/stats?sinceHours=168')).json()) as {
      total: number;
    };
    assert.equal(
      await stats.getByTestId('stats-total').locator('.tile-value').textContent(),
      String(totals.total),
    );
    // Builds finished today: the success-rate line has a point (a path or a dot).
    const successRate = stats.locator('[data-chart="Success rate"]');
    assert.ok((await successRate.locator('path.chart-line[d^="M"], circle').count()) > 0);

    const timeline = page.waitForResponse((response) =>
      response.url().includes('/api/v1/stats/timeline?since=24h'),
    );
    await stats.getByTestId('range').getByRole('button', { name: '24 h' }).click();
    assert.equal((await timeline).status(), 200);
    await page.waitForURL('**/stats?range=24h');
    assert.equal(
      await stats.getByTestId('range').getByRole('button', { name: '24 h' }).getAttribute('aria-pressed'),
      'true',
    );
    assert.deepEqual(problems.consoleErrors, []);
  });

  it('never scrolls sideways on a phone', async (t) => {
    const pages: [string, string, string][] = [
      ['phone-group', `/groups/${showcase.groupId}`, 'matrix-cell'],
      ['phone-projects', '/projects', 'project-row'],
      ['phone-project', `/projects/${showcase.projectName}`, 'webhook-url'],
      ['phone-caches', '/caches', 'chart'],
      ['phone-stats', '/stats', 'chart'],
    ];
    const opened = await open(t, '/', true);
    for (const [name, path, ready] of pages) {
      await opened.page.goto(new URL(path, server.url).href);
      await opened.page.getByTestId(ready).first().waitFor();
      const overflow = await hasNoHorizontalOverflow(opened.page);
      assert.ok(
        overflow.ok,
        `${path}: page is ${overflow.scrollWidth} px wide in ${overflow.clientWidth} px`,
      );
      await saveScreenshot(opened.page, name, { fullPage: true });
    }
    assert.deepEqual(opened.problems.consoleErrors, []);
  });
});
