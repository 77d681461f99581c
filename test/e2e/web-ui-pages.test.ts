import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  kilnApi,
  launchBrowser,
  openPage,
  phoneViewport,
  saveScreenshot,
  signIn,
  type PageProblems,
  type TestPage,
} from '../helpers/browser.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { seedShowcase, type Showcase } from '../helpers/ui-showcase.js';

/**
 * Every page of the web UI, opened on realistic data (see test/helpers/ui-showcase.ts): it loads without
 * console errors or failed requests, and a screenshot of it is saved (test-artifacts/screenshots;
 * docs/screenshots too with KILN_UPDATE_SCREENSHOTS=1, which is how scripts/screenshots.sh
 * regenerates the README's pictures).
 */

interface PageCase {
  name: string;
  path: (s: Showcase) => string;
  /** Waits until the page shows its data, so the screenshot shows a finished page. */
  ready: (page: Page, s: Showcase) => Promise<void>;
}

const rows = async (page: Page, atLeast: number): Promise<void> => {
  await page
    .getByTestId('build-row')
    .nth(atLeast - 1)
    .waitFor();
};

const pages: PageCase[] = [
  {
    name: 'builds',
    path: () => '/',
    ready: async (page, s) => rows(page, s.buildCount),
  },
  {
    name: 'build',
    path: (s) => `/builds/${s.runningId}`,
    ready: async (page) => {
      await page.getByTestId('log-line').nth(20).waitFor();
      await page.getByTestId('build-status').filter({ hasText: 'running' }).waitFor();
      await page.getByTestId('build-steps').waitFor();
    },
  },
  {
    name: 'build-succeeded',
    path: (s) => `/builds/${s.succeededId}`,
    ready: async (page) => {
      await page.getByTestId('build-status').filter({ hasText: 'succeeded' }).waitFor();
      await page.getByTestId('build-outputs').filter({ hasText: '/nix/store/' }).waitFor();
    },
  },
  {
    name: 'build-failed',
    path: (s) => `/builds/${s.failedId}`,
    ready: async (page) => {
      await page.getByTestId('build-status').filter({ hasText: 'failed' }).waitFor();
      await page.getByTestId('log-line').filter({ hasText: 'cannot find' }).first().waitFor();
    },
  },
  {
    name: 'new-build',
    path: () => '/new',
    ready: async (page) => {
      await page.getByTestId('expr-input').waitFor();
      await page.getByTestId('submit-build').waitFor();
    },
  },
  {
    name: 'group',
    path: (s) => `/groups/${s.groupId}`,
    ready: async (page, s) => {
      const group = page.getByTestId('group-page');
      for (const text of [...s.groupAttrs, ...s.groupSystems]) await group.getByText(text).first().waitFor();
    },
  },
  {
    name: 'projects',
    path: () => '/projects',
    ready: async (page, s) => {
      await page.getByTestId('projects-page').getByText(s.projectName).first().waitFor();
    },
  },
  {
    name: 'project',
    path: (s) => `/projects/${s.projectName}`,
    ready: async (page, s) => {
      await page.getByTestId('project-page').getByText(s.projectName).first().waitFor();
    },
  },
  {
    name: 'caches',
    path: () => '/caches',
    ready: async (page, s) => {
      await page.getByTestId('caches-page').getByText(s.cacheName).first().waitFor();
    },
  },
  {
    name: 'stats',
    path: () => '/stats',
    ready: async (page) => {
      await page.getByTestId('stats-page').waitFor();
      await page.getByTestId('chart').first().waitFor();
    },
  },
];

function assertClean(problems: PageProblems, what: string): void {
  assert.deepEqual(problems.consoleErrors, [], `${what}: console errors`);
  assert.deepEqual(problems.failedRequests, [], `${what}: failed requests`);
}

describe('every page of the web UI loads cleanly on realistic data', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let showcase: Showcase;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-web-pages-'));
    server = await startServerProcess(join(dir, 'data'), [], {
      KILN_CONCURRENCY: '6',
      KILN_GIT_ALLOW_LOCAL: '1',
    });
    browser = await launchBrowser();
    showcase = await seedShowcase(kilnApi(server.url, server.token), server.url, join(dir, 'repos'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens `path` directly with the problem record starting empty (leaving the previous page first,
   * so that its requests, aborted by the navigation, are not counted against this one). */
  async function goFresh(opened: TestPage, path: string): Promise<void> {
    await opened.page.goto('about:blank');
    opened.problems.clear();
    await opened.page.goto(new URL(path, server.url).href);
  }

  /** A fresh signed-in page showing `path`. */
  async function open(
    t: TestContext,
    path: string,
    viewport?: { width: number; height: number },
  ): Promise<TestPage> {
    const opened = await openPage(browser, t, viewport ? { viewport, isMobile: true } : {});
    await signIn(opened.page, server.url, server.token);
    await goFresh(opened, path);
    return opened;
  }

  it('sign-in page loads cleanly', async (t) => {
    const { page, problems } = await openPage(browser, t);
    await page.goto(server.url);
    await page.getByTestId('token-input').waitFor();
    await saveScreenshot(page, 'sign-in');
    assertClean(problems, 'sign-in');
  });

  for (const c of pages) {
    it(`${c.name} page loads cleanly`, async (t) => {
      const { page, problems } = await open(t, c.path(showcase));
      await c.ready(page, showcase);
      await page.getByTestId('nav-builds').waitFor();
      await saveScreenshot(page, c.name);
      assertClean(problems, c.name);
    });
  }

  it('builds list and build page on a phone', async (t) => {
    const list = await open(t, '/', phoneViewport);
    await rows(list.page, 3);
    await saveScreenshot(list.page, 'phone-builds');
    assertClean(list.problems, 'phone builds list');

    await goFresh(list, `/builds/${showcase.runningId}`);
    await list.page.getByTestId('log-line').nth(10).waitFor();
    await saveScreenshot(list.page, 'phone-build', { fullPage: true });
    assertClean(list.problems, 'phone build page');
  });
});
