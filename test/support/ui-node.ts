import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { readAdminToken } from '../../gateway/admin-token.js';
import { openBrowser, type BrowserSession, type Page } from './browser.js';
import { tempDir } from './cli.js';
import { startTestNode } from './node.js';

/** What MagUI's browser tests drive: an embedded node on `dir` (free port), its base URL and admin token, and a fresh Chromium. */
export interface UiNode {
  node: MoboNode;
  base: string;
  token: string;
  browser: BrowserSession;
}

export async function startUiNode(dir: string, env: Record<string, string> = {}): Promise<UiNode> {
  const node = await startTestNode(env, dir);
  return { node, ...(await uiOn(dir)) };
}

/** The base URL and admin token of the node on `dir` (its node.json and admin.token), and a fresh Chromium for it. */
export async function uiOn(dir: string): Promise<{ base: string; token: string; browser: BrowserSession }> {
  const base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
  return { base, token: readAdminToken(dir)!, browser: await openBrowser() };
}

/** Logs in through the page with the admin token, and waits for the page's navigation. */
export async function logIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/_/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

/** The admin API as the CLI calls it (Bearer admin token), to check what a page did: the `data` of the envelope, or a thrown `CODE: message`. */
export function adminApi(base: string, token: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/v1/admin${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as { data?: T; error?: { code: string; message: string } };
    if (json.error) throw new Error(`${json.error.code}: ${json.error.message}`);
    return json.data as T;
  };
  return { get: <T>(path: string) => call<T>('GET', path), post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body) };
}

/** Console errors of the session that none of `expected` explains: a MagUI suite ends by asserting there are none. */
export const unexpectedErrors = (browser: BrowserSession, expected: RegExp[] = []): string[] => browser.errors.filter((e) => !expected.some((re) => re.test(e)));

/** A MagUI suite's node and browser, filled in by its beforeAll. */
export interface UiSuite extends UiNode {
  dir: string;
  api: ReturnType<typeof adminApi>;
  /** The browser's page. */
  readonly page: Page;
}

/**
 * Registers a suite's beforeAll (an embedded node on a fresh directory, Chromium, logged in
 * unless `logIn: false`) and afterAll (both closed); the fields are there once beforeAll ran.
 */
export function useUiNode(prefix: string, opts: { logIn?: boolean; env?: Record<string, string>; timeoutMs?: number } = {}): UiSuite {
  const suite = {
    dir: tempDir(prefix),
    get page(): Page {
      return this.browser.page;
    },
  } as UiSuite;
  beforeAll(async () => {
    Object.assign(suite, await startUiNode(suite.dir, opts.env));
    suite.api = adminApi(suite.base, suite.token);
    if (opts.logIn !== false) await logIn(suite.browser.page, suite.base, suite.token);
  }, opts.timeoutMs ?? 240_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.node?.stop();
  }, opts.timeoutMs ?? 240_000);
  return suite;
}
