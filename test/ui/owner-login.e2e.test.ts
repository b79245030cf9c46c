import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoboNode } from '../../actors/node.js';
import { screenshot, type BrowserSession } from '../support/browser.js';
import { tempDir } from '../support/cli.js';
import { startUiNode } from '../support/ui-node.js';

/** MagUI's second way in: an owner account's email and password (made with `mobo owner:create`), in real Chromium. */
describe('MagUI sign-in with an owner account', () => {
  const LONG = 240_000;
  const dir = tempDir('mobo-ui-owner-');
  let node: MoboNode;
  let base = '';
  let browser: BrowserSession;
  const expected: RegExp[] = [];
  const stored = () => browser.page.evaluate("sessionStorage.getItem('mobo.admin.token')") as Promise<string | null>;

  beforeAll(async () => {
    let token: string;
    ({ node, base, token, browser } = await startUiNode(dir));
    const res = await fetch(`${base}/v1/admin/owners`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.com', password: 'a long owner passphrase' }),
    });
    expect(res.status).toBe(201);
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  }, LONG);

  it("refuses a wrong password with the API's message and keeps nothing", async () => {
    const { page } = browser;
    await page.goto(`${base}/_/`);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill('ops@example.com');
    await form.getByLabel('Password').fill('not the passphrase');
    expected.push(/Failed to load resource: the server responded with a status of 401.*\/v1\/admin\/login/);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('AUTH_BAD_PASSWORD');
    expect(await stored()).toBeNull();
  }, LONG);

  it('signs in, sees the live tree, and logging out ends the session on the node', async () => {
    const { page } = browser;
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Password').fill('a long owner passphrase');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#tree tr[data-component="auth"][data-state="running"]').waitFor();
    const session = await stored();
    expect(session).toMatch(/^mobo_session_/);
    await screenshot(page, 'owner-signed-in');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await stored()).toBeNull();
    await expect
      .poll(async () => (await fetch(`${base}/v1/admin/status`, { headers: { authorization: `Bearer ${session}` } })).status)
      .toBe(401);
  }, LONG);

  it('left no console error behind, except the refused sign-in', () => {
    expect(browser.errors.filter((e) => !expected.some((re) => re.test(e)))).toEqual([]);
  });
});
