import { join } from 'node:path';
import PusherServer from 'pusher';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.js';
import { unexpectedErrors, useUiNode } from '../support/ui-node.js';

/**
 * MagUI end to end in real Chromium against a real embedded node (free port, temp data
 * directory): every step goes through the page as an operator would, and the page talks
 * only to the node's admin API and REST. Any console error fails the run.
 */
const LONG = 240_000;

describe('MagUI in Chromium', () => {
  const ui = useUiNode('mobo-ui-', { logIn: false });
  /** Console errors a step expects (the browser's own log line for the refused wrong-token call). */
  const expected: RegExp[] = [];

  it('refuses a wrong token with the API\'s message, and keeps no token', async () => {
    const { page } = ui;
    await page.goto(`${ui.base}/_/`);
    await page.getByLabel('Admin token').fill('mobo_admin_not-the-token');
    expected.push(/Failed to load resource: the server responded with a status of 403.*\/v1\/admin\/status/);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('AUTH_FORBIDDEN');
    expect(await page.evaluate("sessionStorage.getItem('mobo.admin.token')")).toBeNull();
    await expect.poll(() => page.getByRole('navigation', { name: 'Pages' }).count()).toBe(0);
    await screenshot(page, 'login-refused');
  }, LONG);

  it('logs in with the admin token and shows the supervision tree live', async () => {
    const { page } = ui;
    await page.getByLabel('Admin token').fill(ui.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#tree tr[data-component="auth"][data-state="running"]').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('mobo.admin.token')")).toBe(ui.token);
    expect(await page.locator('#tree tbody tr').count()).toBeGreaterThan(10);
    await page.locator('.chart canvas').first().waitFor();
    // The cluster's nodes with their states: embedded, this node alone, up.
    await page.locator(`#cluster-nodes tr[data-node="${ui.node.nodeId}"][data-state="up"]`).waitFor();
    expect(await page.locator('#cluster-nodes tbody tr').count()).toBe(1);
    await expect.poll(() => page.locator('#cluster-line').textContent()).toContain('embedded: this node is the cluster');
    await screenshot(page, 'motherboard');
  }, LONG);

  it('kills a component from its button and watches it come back', async () => {
    const { page } = ui;
    const row = (extra: string) => page.locator(`#tree tr[data-component="bridge"]${extra}`);
    const before = Number(await row('').getAttribute('data-restarts'));
    await page.getByRole('button', { name: 'Kill bridge' }).click();
    await row(`[data-restarts="${before + 1}"][data-state="running"]`).waitFor();
    await screenshot(page, 'motherboard-after-kill');
  }, LONG);

  it('creates a project, a SQLite source and a table with two columns, then inserts and edits a row', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'Data' }).click();
    const project = page.getByRole('form', { name: 'Create project' });
    await project.getByLabel('Project name').fill('shop-1');
    await project.getByRole('button', { name: 'Create project' }).click();
    const source = page.getByRole('form', { name: 'Add source' });
    await source.getByLabel('Source name').fill('main');
    await source.getByLabel('Kind').selectOption('sqlite');
    await source.getByLabel('URL or file').fill(join(ui.dir, 'shop.db'));
    await source.getByRole('button', { name: 'Add source' }).click();
    await page.getByRole('region', { name: 'Tables of main' }).waitFor();

    const create = page.getByRole('form', { name: 'Create table' });
    await create.getByLabel('Table name').fill('todo "items" ü');
    await create.getByRole('button', { name: 'Add column' }).click();
    const first = create.locator('fieldset[data-column="0"]');
    await first.getByLabel('Name').fill('id');
    await first.getByLabel('Type').selectOption('integer');
    await first.getByLabel('primary key').check();
    const second = create.locator('fieldset[data-column="1"]');
    await second.getByLabel('Name').fill('title');
    await second.getByLabel('Type').selectOption('text');
    await second.getByLabel('not null').check();
    await create.getByRole('button', { name: 'Create table' }).click();
    await page.getByRole('region', { name: 'Table todo "items" ü' }).waitFor();

    const insert = page.getByRole('form', { name: 'Insert into todo "items" ü' });
    await insert.getByLabel('title (text)').fill('Buy "milk" – ünï');
    await insert.getByRole('button', { name: 'Insert' }).click();
    const rows = page.getByRole('table', { name: 'Rows of todo "items" ü' });
    await rows.getByRole('cell', { name: 'Buy "milk" – ünï', exact: true }).waitFor();

    await rows.getByRole('button', { name: 'Edit row 1' }).click();
    const edit = page.getByRole('form', { name: 'Edit row 1' });
    await edit.getByLabel('title').fill('Buy oat milk');
    await edit.getByRole('button', { name: 'Save' }).click();
    await rows.getByRole('cell', { name: 'Buy oat milk', exact: true }).waitFor();
    expect(await rows.getByRole('cell', { name: 'Buy "milk" – ünï', exact: true }).count()).toBe(0);
    await page.getByText('rows 1–1 of 1').waitFor();
    await screenshot(page, 'data');
  }, LONG);

  it('creates an API key and shows its secret once', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'Auth' }).click();
    await page.getByRole('combobox', { name: /^Project\b/ }).selectOption('shop-1'); // not getByLabel('Project'): the Projects page, still shown for a moment after the click, has five labels containing it
    const form = page.getByRole('form', { name: 'Create key' });
    await form.getByLabel('Name').fill('ui-key');
    await form.getByLabel('Role').fill('developer');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.locator('code[data-secret]').textContent()) ?? '';
    expect(secret).toMatch(/^ak_shop-1_/);
    await page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: 'ui-key', exact: true }).waitFor();
    await screenshot(page, 'auth');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.locator('code[data-secret]').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    // Shown once: a fresh load of the page lists the key, never its secret.
    await page.reload();
    await page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: 'ui-key', exact: true }).waitFor();
    expect(await page.content()).not.toContain(secret);
  }, LONG);

  it('runs a backup with its progress and sees it listed', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'Backups' }).click();
    await page.getByRole('button', { name: 'Create backup' }).click();
    await page.locator('[data-job-state="done"]').waitFor();
    const listed = page.getByRole('table', { name: 'Backups' }).locator('tbody tr');
    await expect.poll(() => listed.count()).toBe(1);
    const backups = (await (await fetch(`${ui.base}/v1/admin/backups`, { headers: { authorization: `Bearer ${ui.token}` } })).json()) as { data: Array<{ id: string }> };
    expect(backups.data).toHaveLength(1);
    await listed.getByRole('cell', { name: backups.data[0]!.id, exact: true }).waitFor();
    await screenshot(page, 'backups');
  }, LONG);

  it('watches a channel live in the event inspector, and shows the MQTT and Sentinel pages', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'Realtime & MQTT' }).click();
    await page.getByRole('combobox', { name: /^Project\b/ }).selectOption('shop-1'); // not getByLabel('Project'): the Projects page, still shown for a moment after the click, has five labels containing it
    const inspector = page.getByRole('region', { name: 'Event inspector' });
    await inspector.getByLabel('Channel', { exact: true }).fill('orders_1-a=b@c,d.e;f');
    await inspector.getByRole('button', { name: 'Subscribe' }).click();
    await inspector.locator('[data-connection]', { hasText: /^connected$/ }).waitFor();
    // The node lists the channel as occupied once the subscription reached it; then an event sent through the Pusher HTTP API shows up.
    await page.getByRole('table', { name: 'Occupied channels' }).getByRole('cell', { name: 'orders_1-a=b@c,d.e;f', exact: true }).waitFor();
    const app = (await (await fetch(`${ui.base}/v1/admin/projects/shop-1/realtime`, { headers: { authorization: `Bearer ${ui.token}` } })).json()) as { data: { appId: string; key: string; secret: string } };
    const port = new URL(ui.base).port;
    await new PusherServer({ appId: app.data.appId, key: app.data.key, secret: app.data.secret, host: '127.0.0.1', port, useTLS: false }).trigger('orders_1-a=b@c,d.e;f', 'order-placed', { id: 7, note: 'a "quoted" ✓' });
    const events = page.getByRole('table', { name: 'Events' });
    await events.getByRole('cell', { name: 'order-placed', exact: true }).waitFor();
    expect(await events.getByRole('cell', { name: '{"id":7,"note":"a \\"quoted\\" ✓"}', exact: true }).count()).toBe(1);
    await page.getByRole('region', { name: 'MQTT ingest rules' }).waitFor();
    await screenshot(page, 'realtime');
    await page.getByRole('link', { name: 'Sentinel' }).click();
    await page.locator('[data-mode]').waitFor();
    await screenshot(page, 'sentinel');
  }, LONG);

  it('left no console error behind, except the refused wrong token', () => {
    expect(unexpectedErrors(ui.browser, expected)).toEqual([]);
    expect(ui.browser.errors.length).toBeLessThanOrEqual(expected.length);
  });
});
