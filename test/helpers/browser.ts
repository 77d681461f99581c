import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { writeFileAtomic } from '../../src/fsutil/index.js';
import { repoRoot } from './paths.js';

/**
 * The browser side of the web UI tests: Debian's Chromium driven by playwright-core (no downloaded
 * browsers), one isolated context and page per test, a record of everything that went wrong on the
 * page, screenshots as test artefacts, and a small client of kiln's HTTP API to set the scene.
 */

export const chromiumPath = process.env['KILN_CHROMIUM'] ?? '/usr/bin/chromium';
export const desktopViewport = { width: 1280, height: 800 };
export const phoneViewport = { width: 390, height: 844 };

export const screenshotsDir = join(repoRoot, 'test-artifacts', 'screenshots');
export const docsScreenshotsDir = join(repoRoot, 'docs', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  // Chromium's own sandbox refuses to start as root; the tests run as root in CI.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: chromiumPath, headless: true, args });
}

/** What a user would notice as broken: console errors, uncaught exceptions, failed or 4xx/5xx requests. */
export interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
  clear(): void;
}

export interface TestPage {
  page: Page;
  problems: PageProblems;
}

/** A fresh browser context (own storage, so own sign-in) with one page, closed when the test ends. */
export async function openPage(
  browser: Browser,
  t: TestContext,
  options: { viewport?: { width: number; height: number }; isMobile?: boolean } = {},
): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? desktopViewport,
    deviceScaleFactor: 1,
    isMobile: options.isMobile ?? false,
    hasTouch: options.isMobile ?? false,
  });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: PageProblems = {
    consoleErrors: [],
    failedRequests: [],
    clear() {
      this.consoleErrors.length = 0;
      this.failedRequests.length = 0;
    },
  };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => problems.consoleErrors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'failed';
    problems.failedRequests.push(`${request.method()} ${request.url()}: ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.failedRequests.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
  });
  return { page, problems };
}

/** Evaluates a JavaScript expression in the page (a string: this project compiles without DOM types). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** The few browser globals the tests call inside the page (this project compiles without DOM types). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { color: string };
}

/** The element's computed text colour, as the browser reports it (`rgb(r, g, b)`). */
export function computedColor(locator: Locator): Promise<string> {
  return locator.evaluate(
    (element) => (globalThis as unknown as BrowserGlobals).getComputedStyle(element).color,
  );
}

/** True when the page has no page-level horizontal scrolling. */
export async function hasNoHorizontalOverflow(
  page: Page,
): Promise<{ ok: boolean; scrollWidth: number; clientWidth: number }> {
  const [scrollWidth, clientWidth] = await inPage<[number, number]>(
    page,
    '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
  );
  return { ok: scrollWidth <= clientWidth, scrollWidth, clientWidth };
}

/**
 * Saves a PNG of the page as test-artifacts/screenshots/NAME.png; with KILN_UPDATE_SCREENSHOTS=1
 * also as docs/screenshots/NAME.png (the pictures the README shows).
 */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  const png = await page.screenshot({
    fullPage: options.fullPage ?? false,
    animations: 'disabled',
    caret: 'hide',
  });
  const dirs = [screenshotsDir];
  if (process.env['KILN_UPDATE_SCREENSHOTS'] === '1') dirs.push(docsScreenshotsDir);
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, `${name}.png`), png);
  }
  return join(screenshotsDir, `${name}.png`);
}

/** Signs in through the sign-in form, the way a person does, and waits for the app's navigation. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByTestId('token-input').fill(token);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('nav-builds').waitFor();
}

/** The fields of a build the tests look at (the API returns more). */
export interface ApiBuild {
  id: string;
  status: string;
  groupId: string | null;
  outputs: string[];
  error: string | null;
}

export interface KilnApi {
  /** POST /api/v1/builds with an expression; returns every build it queued (one per system). */
  submitExpr(expression: string, extra?: Record<string, unknown>): Promise<ApiBuild[]>;
  get(id: string): Promise<ApiBuild>;
  cancel(id: string): Promise<void>;
  waitForStatus(id: string, statuses: readonly string[], timeoutMs?: number): Promise<ApiBuild>;
  request(method: string, path: string, body?: unknown): Promise<Response>;
}

/** A client of kiln's HTTP API with the admin token, for setting up what the UI then shows. */
export function kilnApi(baseUrl: string, token: string): KilnApi {
  const request = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const json = async <T>(res: Response, what: string): Promise<T> => {
    const text = await res.text();
    if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  const api: KilnApi = {
    request,
    async submitExpr(expression, extra = {}) {
      const res = await request('POST', '/api/v1/builds', { source: { kind: 'expr', expression }, ...extra });
      return (await json<{ builds: ApiBuild[] }>(res, 'submit')).builds;
    },
    async get(id) {
      return json<ApiBuild>(await request('GET', `/api/v1/builds/${id}`), `build ${id}`);
    },
    async cancel(id) {
      await json<unknown>(await request('POST', `/api/v1/builds/${id}/cancel`), `cancel ${id}`);
    },
    async waitForStatus(id, statuses, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const build = await api.get(id);
        if (statuses.includes(build.status)) return build;
        if (Date.now() > deadline)
          throw new Error(`build ${id} is ${build.status}, not ${statuses.join('/')} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return api;
}
