import { describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.js';
import { unexpectedErrors, useUiNode } from '../support/ui-node.js';

const LONG = 120_000;
const COLOURS = `(() => { const s = getComputedStyle(document.body); return { background: s.backgroundColor, text: s.color }; })()`;

/** MagUI follows the system's colour scheme: dark and light give the page different colours, each saved as a screenshot. */
describe('MagUI in dark and light', () => {
  const ui = useUiNode('mobo-ui-scheme-');

  it('paints the body dark with a dark system scheme and light with a light one', async () => {
    const { page } = ui;
    await page.locator('#tree tr[data-component="auth"]').waitFor();
    const colours = async (scheme: 'dark' | 'light') => {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForFunction(`matchMedia('(prefers-color-scheme: ${scheme})').matches`);
      const seen = (await page.evaluate(COLOURS)) as { background: string; text: string };
      await screenshot(page, `motherboard-${scheme}`);
      return seen;
    };
    const dark = await colours('dark');
    const light = await colours('light');
    expect(dark.background).not.toBe(light.background);
    expect(dark.text).not.toBe(light.text);
    // Dark is dark and light is light (the mean of the channels), text against each.
    const mean = (rgb: string) => (rgb.match(/\d+/g) ?? []).slice(0, 3).reduce((sum, v) => sum + Number(v), 0) / 3;
    expect(mean(dark.background)).toBeLessThan(64);
    expect(mean(light.background)).toBeGreaterThan(192);
    expect(mean(dark.text)).toBeGreaterThan(mean(dark.background));
    expect(mean(light.text)).toBeLessThan(mean(light.background));
  }, LONG);

  it('left no console error behind', () => {
    expect(unexpectedErrors(ui.browser)).toEqual([]);
  });
});
