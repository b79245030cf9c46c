import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdminToken } from '../../gateway/admin-token.js';
import { connect, createProject, endAll, startMqttNode, subscribe, type MqttNode } from '../mqtt/support.js';
import { connectClient, disconnect, projectApp, subscribed, type PusherClient } from '../realtime/support.js';
import { openBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { adminApi, logIn, unexpectedErrors } from '../support/ui-node.js';

const LONG = 120_000;
const PROJECT = 'plant-7';
const ORDERS = 'orders_1-a=b@c,d.e;f';

const socketId = (c: PusherClient): string => (c.connection as unknown as { socket_id: string }).socket_id;

/**
 * MagUI's Realtime & MQTT page in real Chromium against a real node with MQTT on free
 * ports: the connected Pusher clients (real pusher-js sockets) with their channels, the
 * MQTT topics with subscribers (a real MQTT.js client), and ingest rules added and
 * removed through the page, checked through the admin API. Any console error fails the run.
 */
describe('MagUI Realtime & MQTT in Chromium', () => {
  let t: MqttNode;
  let browser: BrowserSession;
  let api: ReturnType<typeof adminApi>;
  const pushers: PusherClient[] = [];

  beforeAll(async () => {
    t = await startMqttNode();
    const token = readAdminToken(t.dir)!;
    api = adminApi(t.url, token);
    await createProject(t, PROJECT);
    browser = await openBrowser();
    await logIn(browser.page, t.url, token);
  }, LONG);

  afterAll(async () => {
    await Promise.all(pushers.map(disconnect));
    await endAll();
    await browser?.close();
    await t?.node.stop();
  }, LONG);

  it('lists the connected Pusher clients with their channels and address, and narrows them to one channel', async () => {
    const { page } = browser;
    const app = await projectApp(t, PROJECT);
    const http = { ...t, port: Number(new URL(t.url).port) }; // an MqttNode's port is its MQTT listener's
    const [both, ordersOnly] = [await connectClient(http, app), await connectClient(http, app)];
    pushers.push(both, ordersOnly);
    await subscribed(both, ORDERS);
    await subscribed(both, 'news');
    await subscribed(ordersOnly, ORDERS);

    await page.getByRole('link', { name: 'Realtime & MQTT' }).click();
    await page.getByRole('combobox', { name: /^Project\b/ }).selectOption(PROJECT);
    const table = page.getByRole('table', { name: 'Connected clients' });
    const row = (c: PusherClient) => table.locator('tbody tr', { has: page.getByRole('cell', { name: socketId(c), exact: true }) });
    await row(both).getByRole('cell', { name: `${ORDERS}, news`, exact: true }).waitFor();
    await row(ordersOnly).getByRole('cell', { name: ORDERS, exact: true }).waitFor();
    expect(await row(both).getByRole('cell', { name: '127.0.0.1', exact: true }).count()).toBe(1);
    expect(await row(both).getByRole('cell', { name: t.node.nodeId, exact: true }).count()).toBe(1);

    const only = page.getByRole('combobox', { name: 'Only channel' });
    await only.locator('option', { hasText: 'news' }).waitFor({ state: 'attached' });
    await only.selectOption('news');
    await expect.poll(() => row(ordersOnly).count()).toBe(0);
    await row(both).waitFor();

    await disconnect(both);
    await only.selectOption('');
    await row(ordersOnly).waitFor();
    await expect.poll(() => row(both).count()).toBe(0);
    await screenshot(page, 'realtime-clients');
  }, LONG);

  it('shows the MQTT topics with their subscribers', async () => {
    const { page } = browser;
    const { key } = await t.key(PROJECT);
    const clientId = 'sensor-"ü"-1';
    const device = await connect(t.port, { username: PROJECT, password: key, clientId });
    await subscribe(device, `${PROJECT}/devices/+/telemetry`);
    await subscribe(device, `${PROJECT}/alerts/#`);
    await page.getByRole('region', { name: 'MQTT clients' }).getByRole('button', { name: 'Refresh' }).click();
    const topics = page.getByRole('table', { name: 'Topics with subscribers' });
    const topic = (filter: string) => topics.locator('tbody tr', { has: page.getByRole('cell', { name: filter, exact: true }) });
    await topic(`${PROJECT}/devices/+/telemetry`).getByRole('cell', { name: clientId, exact: true }).waitFor();
    await topic(`${PROJECT}/alerts/#`).getByRole('cell', { name: '1', exact: true }).waitFor();
    await page.getByRole('table', { name: 'MQTT clients' }).getByRole('cell', { name: clientId, exact: true }).waitFor();
    await screenshot(page, 'mqtt-topics');
  }, LONG);

  it('adds an MQTT ingest rule and removes it', async () => {
    const { page } = browser;
    const rules = () => api.get<Array<{ id: string; topic: string; source: string; table: string }>>(`/mqtt/rules?project=${PROJECT}`);
    const form = page.getByRole('form', { name: 'Add ingest rule' });
    await form.getByLabel('Topic filter').fill('sensors/+/temp-°C');
    await form.getByLabel('Into (source.table)').fill('main.readings-"ü"');
    await form.getByLabel('Column map (JSON, optional)').fill('{"device": "$topic[1]", "celsius": "$.value"}');
    await form.getByRole('button', { name: 'Add rule' }).click();
    const table = page.getByRole('table', { name: 'Ingest rules' });
    await table.getByRole('cell', { name: 'sensors/+/temp-°C', exact: true }).waitFor();
    const [rule] = await rules();
    expect(rule).toMatchObject({ topic: 'sensors/+/temp-°C', source: 'main', table: 'readings-"ü"' });

    await table.getByRole('button', { name: `Remove rule ${rule!.id}` }).click();
    await page.getByRole('region', { name: 'MQTT ingest rules' }).getByText('No rules').waitFor();
    expect(await rules()).toEqual([]);
    await screenshot(page, 'mqtt-rules');
  }, LONG);

  it('left no console error behind', () => {
    expect(unexpectedErrors(browser)).toEqual([]);
  });
});
