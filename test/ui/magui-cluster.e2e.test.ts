import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, type BrowserSession } from '../support/browser.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { adminApi, logIn, uiOn, unexpectedErrors } from '../support/ui-node.js';

const LONG = 240_000;

/**
 * The Motherboard's cluster nodes in real Chromium: two nodes of one cluster (the
 * machine's NATS, one throwaway Postgres control store), the page on the first. Both are
 * listed up; the second stopped is shown down, as the admin API answers.
 */
describe('MagUI cluster nodes in Chromium', () => {
  let cluster: TestCluster;
  let browser: BrowserSession;
  let api: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    cluster = await startTestCluster('ui', 2);
    let base: string;
    let token: string;
    ({ base, token, browser } = await uiOn(cluster.dirs[0]!));
    api = adminApi(base, token);
    await logIn(browser.page, base, token);
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  }, LONG);

  it('lists both nodes up, then the stopped one down', async () => {
    const { page } = browser;
    const [first, second] = cluster.nodes.map((n) => n.nodeId) as [string, string];
    const row = (node: string, state: string) => page.locator(`#cluster-nodes tr[data-node="${node}"][data-state="${state}"]`);
    await row(first, 'up').waitFor();
    await row(second, 'up').waitFor();
    expect(await page.locator('#cluster-nodes tbody tr').count()).toBe(2);
    await expect.poll(() => page.locator('#cluster-line').textContent()).toContain(`cluster ${cluster.cluster}`);
    expect(await row(first, 'up').locator('th').textContent()).toBe(`${first} (this node)`);
    expect(await row(second, 'up').getByRole('cell', { name: /^http:\/\/127\.0\.0\.1:\d+$/ }).count()).toBe(1);
    await screenshot(page, 'cluster-nodes');

    // Stopped by us, so not stopped again by cluster.stop().
    await cluster.nodes.splice(1, 1)[0]!.stop();
    await row(second, 'down').waitFor();
    await row(first, 'up').waitFor();
    expect(await row(second, 'down').getByText('down', { exact: true }).count()).toBe(1);
    expect(await api.get<Array<{ node: string; state: string }>>('/cluster/nodes')).toEqual(
      expect.arrayContaining([expect.objectContaining({ node: first, state: 'up' }), expect.objectContaining({ node: second, state: 'down' })]),
    );
    await screenshot(page, 'cluster-node-down');
  }, LONG);

  it('left no console error behind', () => {
    expect(unexpectedErrors(browser)).toEqual([]);
  });
});
