import { describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.js';
import { unexpectedErrors, useUiNode } from '../support/ui-node.js';

const LONG = 120_000;

interface Focus {
  tag: string;
  name: string;
  /** Matches :focus-visible and draws an outline: a keyboard user sees where they are. */
  shown: boolean;
}

/** The focused element, its accessible name as the page gives it (aria-label, its label's text, or its text), and whether its focus ring shows. */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const name = el.getAttribute('aria-label') ?? el.labels?.[0]?.querySelector('span')?.textContent ?? el.textContent?.trim() ?? '';
  return { tag: el.tagName.toLowerCase(), name, shown: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
})()`;

/** MagUI with the keyboard only (Tab, Shift+Tab, Enter, Space): log in, go to Data, create a project; the focus always visible and where it should be. */
describe('MagUI with the keyboard only', () => {
  const ui = useUiNode('mobo-ui-keys-', { logIn: false });

  it('logs in, reaches the Data page and creates a project without the mouse', async () => {
    const { page, base, token, api } = ui;
    const focused = async () => (await page.evaluate(FOCUSED)) as Focus | null;
    /** Presses `key` once and answers where the focus went. */
    const press = async (key: string) => (await page.keyboard.press(key), focused());

    await page.goto(`${base}/_/`);
    await expect.poll(focused).toMatchObject({ tag: 'input', name: 'Admin token' });
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    // The page's heading takes the focus, so the keyboard starts in the page, not at its top.
    await expect.poll(focused).toMatchObject({ tag: 'h1', name: 'Motherboard' });

    // Back through the header, each stop shown: Log out, then the page links from the last.
    const path: Focus[] = [];
    for (let i = 0; i < 6; i++) path.push((await press('Shift+Tab'))!);
    expect(path.map((f) => f.name)).toEqual(['Log out', 'Backups', 'Sentinel', 'Realtime & MQTT', 'Auth', 'Data']);
    expect(path.filter((f) => !f.shown)).toEqual([]);

    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'h1', name: 'Data' });
    expect(await press('Tab')).toEqual({ tag: 'input', name: 'Project name', shown: true });
    await page.keyboard.type('kb-shop_1');
    expect(await press('Tab')).toEqual({ tag: 'button', name: 'Create project', shown: true });
    await page.keyboard.press('Space');
    await page.getByRole('region', { name: 'Sources of kb-shop_1' }).waitFor();
    // The button keeps the focus while its action runs and after: Tab goes on from here, not from the page's top.
    expect(await focused()).toEqual({ tag: 'button', name: 'Create project', shown: true });
    expect((await api.get<Array<{ project: string }>>('/projects')).map((p) => p.project)).toEqual(['kb-shop_1']);

    // Shift+Tab back into the form, which was emptied for the next project.
    expect(await press('Shift+Tab')).toEqual({ tag: 'input', name: 'Project name', shown: true });
    expect(await page.getByRole('form', { name: 'Create project' }).getByLabel('Project name').inputValue()).toBe('');
    await screenshot(page, 'keyboard');
  }, LONG);

  it('left no console error behind', () => {
    expect(unexpectedErrors(ui.browser)).toEqual([]);
  });
});
