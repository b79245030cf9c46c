import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.js';
import { unexpectedErrors, useUiNode } from '../support/ui-node.js';

const LONG = 240_000;
const PROJECT = 'shop-2';
const TABLE = 'todo "items" ü';

/**
 * MagUI's actions beyond the first run, in real Chromium against a real embedded node:
 * Sentinel (block, unblock, mode), Backups (verify, schedule), Auth (disable a user, a role,
 * a policy), Data (sort, filter, delete, migrations). Each is done through the page and
 * checked through the admin API the CLI uses. Any console error fails the run.
 */
describe('MagUI actions in Chromium', () => {
  const ui = useUiNode('mobo-ui-actions-');

  it('Sentinel: blocks a target from the page, unblocks it, and switches the mode both ways', async () => {
    const { page, api } = ui;
    const status = () => api.get<{ mode: string; blocks: Array<{ kind: string; value: string }> }>('/sentinel');
    const start = (await status()).mode;
    await page.getByRole('link', { name: 'Sentinel' }).click();
    const value = `o'brien+"ü"-x@example.test`;
    const form = page.getByRole('form', { name: 'Block' });
    await form.getByLabel('Kind').selectOption('email');
    await form.getByLabel('Value').fill(value);
    await form.getByLabel('Reason').fill('a "test" – block');
    await form.getByRole('button', { name: 'Block' }).click();
    const blocks = page.getByRole('table', { name: 'Blocks' });
    await blocks.getByRole('cell', { name: value, exact: true }).waitFor();
    expect((await status()).blocks).toContainEqual(expect.objectContaining({ kind: 'email', value }));

    await blocks.getByRole('button', { name: `Unblock email ${value}` }).click();
    await page.getByText('Nothing blocked').waitFor();
    expect((await status()).blocks).toEqual([]);

    const other = start === 'block' ? 'monitor' : 'block';
    await page.getByRole('button', { name: other === 'block' ? 'Block mode' : 'Monitor mode' }).click();
    await page.locator('[data-mode]', { hasText: new RegExp(`^${other}$`) }).waitFor();
    expect((await status()).mode).toBe(other);
    await page.getByRole('button', { name: start === 'block' ? 'Block mode' : 'Monitor mode' }).click();
    await page.locator('[data-mode]', { hasText: new RegExp(`^${start}$`) }).waitFor();
    expect((await status()).mode).toBe(start);
    await screenshot(page, 'sentinel-actions');
  }, LONG);

  it('Backups: verifies a backup from its row and saves a schedule the API then answers', async () => {
    const { page, api } = ui;
    await page.getByRole('link', { name: 'Backups' }).click();
    await page.getByRole('button', { name: 'Create backup' }).click();
    await page.locator('[data-job-state="done"]', { hasText: /^create done/ }).waitFor();
    const [backup] = await api.get<Array<{ id: string }>>('/backups');
    await page.getByRole('button', { name: `Verify ${backup!.id}` }).click();
    const verified = page.locator('[data-job-state="done"]', { hasText: /^verify done/ });
    const report = JSON.parse((await verified.locator('pre').textContent()) ?? '{}') as { id?: string; ok?: boolean; parts?: unknown[] };
    expect(report).toMatchObject({ id: backup!.id, ok: true });
    expect(report.parts?.length).toBeGreaterThan(0);

    const form = page.getByRole('form', { name: 'Set schedule' });
    await form.getByLabel('Cron (blank: off)').fill('17 3 * * 1-5');
    await form.getByLabel('Keep (archives)').fill('7');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await page.locator('pre', { hasText: '17 3 * * 1-5' }).waitFor();
    expect(await api.get('/backups/schedule')).toMatchObject({ schedule: { cron: '17 3 * * 1-5', keep: 7 }, next: expect.any(String) });
    await screenshot(page, 'backups-actions');
  }, LONG);

  it('Auth: creates a user, disables it, gives it a new role and adds a policy', async () => {
    const { page, api } = ui;
    await api.post('/projects', { name: PROJECT });
    await page.getByRole('link', { name: 'Auth' }).click();
    await page.getByRole('combobox', { name: /^Project\b/ }).selectOption(PROJECT);
    const users = () => api.get<Array<{ email: string; role: string; disabled: boolean }>>(`/projects/${PROJECT}/users`);
    const email = "o'neil-ui+1@example.test";
    const create = page.getByRole('form', { name: 'Create user' });
    await create.getByLabel('Email').fill(email);
    await create.getByLabel('Password').fill('a long "pass" phrase – ü');
    await create.getByRole('button', { name: 'Create user' }).click();
    const table = page.getByRole('table', { name: 'Users' });
    await table.getByRole('cell', { name: email, exact: true }).waitFor();

    await table.getByRole('button', { name: `Disable ${email}` }).click();
    await table.getByRole('button', { name: `Enable ${email}` }).waitFor();
    expect((await users()).find((u) => u.email === email)?.disabled).toBe(true);

    const role = page.getByRole('form', { name: 'Create role' });
    await role.getByLabel('Role name').fill('qa-team_2');
    await role.getByLabel('Tables').fill('*');
    await role.getByLabel('Operations').fill('read');
    await role.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('table', { name: 'Roles' }).getByRole('cell', { name: 'qa-team_2', exact: true }).waitFor();

    const setRole = page.getByRole('form', { name: `Role of ${email}` });
    await setRole.getByLabel('Role').fill('qa-team_2');
    await setRole.getByRole('button', { name: 'Set role' }).click();
    await table.getByRole('cell', { name: 'qa-team_2', exact: true }).waitFor();
    expect((await users()).find((u) => u.email === email)?.role).toBe('qa-team_2');

    const policy = page.getByRole('form', { name: 'Set policy' });
    await policy.getByLabel('Role').fill('qa-team_2');
    await policy.getByLabel('Table').fill('orders-2.line_items');
    await policy.getByLabel('Operations').fill('read, create');
    await policy.getByLabel('Owner column (row rule)').fill('owner_id');
    await policy.getByRole('button', { name: 'Set policy' }).click();
    await page.getByRole('table', { name: 'Policies' }).getByRole('cell', { name: 'orders-2.line_items', exact: true }).waitFor();
    expect(await api.get(`/projects/${PROJECT}/policies`)).toContainEqual(expect.objectContaining({ role: 'qa-team_2', table: 'orders-2.line_items', operations: ['read', 'create'], ownerColumn: 'owner_id' }));
    await screenshot(page, 'auth-actions');
  }, LONG);

  it('Data: sorts and filters the rows, deletes one, and applies a pending migration', async () => {
    const { page, api } = ui;
    const source = `/projects/${PROJECT}/sources/main`;
    await api.post(`/projects/${PROJECT}/sources`, { name: 'main', kind: 'sqlite', url: join(ui.dir, 'shop-2.db') });
    await api.post(`${source}/tables`, { name: TABLE, columns: [{ name: 'id', type: 'integer', primaryKey: true, identity: true, nullable: false }, { name: 'title', type: 'text', nullable: false }] });
    const { serviceKey } = await api.get<{ serviceKey: string }>(`/projects/${PROJECT}/client-keys`);
    const rest = `${ui.base}/v1/${PROJECT}/main/${encodeURIComponent(TABLE)}`;
    const restHeaders = { authorization: `Bearer ${serviceKey}`, 'content-type': 'application/json' };
    for (const title of ['b "two"', 'a – one', 'c ü three']) expect((await fetch(rest, { method: 'POST', headers: restHeaders, body: JSON.stringify({ title }) })).status).toBe(201);
    // A migration file where the migrations code reads them: <dataDir>/migrations/<project>/<source>/<timestamp>_<name>.sql.
    const folder = join(ui.dir, 'migrations', PROJECT, 'main');
    mkdirSync(folder, { recursive: true });
    const migration = '20250102030405_add-notes_table';
    writeFileSync(join(folder, `${migration}.sql`), '-- migrate:up\ncreate table "notes – ü" (id integer primary key, body text);\n\n-- migrate:down\ndrop table "notes – ü";\n');

    await page.getByRole('link', { name: 'Data' }).click();
    await page.getByRole('button', { name: `Open project ${PROJECT}` }).click();
    await page.getByRole('button', { name: 'Open source main' }).click();
    await page.getByRole('list', { name: 'Tables' }).getByRole('button', { name: TABLE, exact: true }).click();
    const rows = page.getByRole('table', { name: `Rows of ${TABLE}` });
    const titles = () => rows.locator('tbody tr td:nth-child(2)').allTextContents();
    await expect.poll(titles).toHaveLength(3);

    await rows.getByRole('button', { name: /^title/ }).click();
    await expect.poll(titles).toEqual(['a – one', 'b "two"', 'c ü three']);
    await rows.getByRole('button', { name: /^title/ }).click();
    await expect.poll(titles).toEqual(['c ü three', 'b "two"', 'a – one']);
    expect(await rows.locator('th[aria-sort="descending"]').textContent()).toContain('title');

    const filter = page.getByRole('form', { name: 'Filter rows' });
    await filter.getByLabel('Column').selectOption('title');
    await filter.getByLabel('Operator').selectOption('eq');
    await filter.getByLabel('Value').fill('b "two"');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(titles).toEqual(['b "two"']);
    await page.getByText('rows 1–1 of 1').waitFor();
    await filter.getByLabel('Column').selectOption('');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(titles).toHaveLength(3);

    const doomed = (await (await fetch(`${rest}?title=eq.${encodeURIComponent('a – one')}`, { headers: restHeaders })).json()) as { data: Array<{ id: number }> };
    const id = doomed.data[0]!.id;
    await rows.getByRole('button', { name: `Delete row ${id}` }).click();
    await expect.poll(titles).toEqual(['c ü three', 'b "two"']);
    const left = (await (await fetch(rest, { headers: restHeaders })).json()) as { data: Array<{ title: string }> };
    expect(left.data.map((r) => r.title).sort()).toEqual(['b "two"', 'c ü three']);

    const migrations = page.getByRole('table', { name: 'Migrations' });
    const status = () => migrations.locator('tbody tr', { hasText: migration }).locator('td:nth-child(2)').textContent();
    await expect.poll(status).toBe('pending');
    await page.getByRole('button', { name: 'Apply pending' }).click();
    await expect.poll(status).toBe('applied');
    const listed = await api.get<{ migrations: Array<{ id: string; status: string }> }>(`${source}/migrations`);
    expect(listed.migrations).toEqual([expect.objectContaining({ id: migration, status: 'applied' })]);
    expect((await api.get<Array<{ name: string }>>(`${source}/tables`)).map((t) => t.name)).toContain('notes – ü');
    await screenshot(page, 'data-actions');
  }, LONG);

  it('left no console error behind', () => {
    expect(unexpectedErrors(ui.browser)).toEqual([]);
  });
});
