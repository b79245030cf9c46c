/**
 * MagUI first load on loopback, in real Chromium (Debian's, through playwright-core), against
 * `mobo boot` from the bundle on a fresh data directory. Each run is a new browser context
 * (empty cache). Measured:
 *  - bytes on the wire (transferSize, so compressed) of the login shell (`/_/` without a token)
 *    and of the first logged-in page (shell + page chunk + CSS), page assets only; goal ≤ 250 KB;
 *  - time from navigation start to the supervision tree's first row in the DOM (a
 *    MutationObserver stamps it); goal < 1 s;
 *  - baseline in the same run: navigation start → load of `/health` (one small JSON answer
 *    from the same node), so the ratio shows what the page costs over a bare round trip.
 * Median of RUNS runs. One command: npm run bench -- --only ui
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { start, stop } from './gateway.js';
import { describeLoad, describeMachine } from './machine.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

interface Load {
  ms: number;
  assetBytes: number;
  apiBytes: number;
  assets: number;
}

/** Stamps `window.__treeAt` when the tree's first row appears (installed before any page script). */
const STAMP = `new MutationObserver((_, o) => { if (document.querySelector('#tree tbody tr')) { window.__treeAt = performance.now(); o.disconnect(); } }).observe(document, { childList: true, subtree: true });`;

async function firstLoad(browser: Browser, base: string, token: string | undefined): Promise<Load> {
  const context = await browser.newContext();
  try {
    if (token) await context.addInitScript(`sessionStorage.setItem('mobo.admin.token', ${JSON.stringify(token)});`);
    await context.addInitScript(STAMP);
    const page = await context.newPage();
    await page.goto(`${base}/_/`);
    if (token) await page.waitForFunction(() => (globalThis as { __treeAt?: number }).__treeAt !== undefined, undefined, { timeout: 60_000 });
    else await page.getByRole('button', { name: 'Log in' }).waitFor();
    // Evaluated in the page through CDP (a string: this file is compiled without the DOM's types; a string predicate would need unsafe-eval).
    return (await page.evaluate(`(() => {
      const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
      const isAsset = (e) => new URL(e.name).pathname.startsWith('/_');
      const sum = (xs) => xs.reduce((n, e) => n + e.transferSize, 0);
      return { ms: window.__treeAt ?? performance.now(), assetBytes: sum(entries.filter(isAsset)), apiBytes: sum(entries.filter((e) => !isAsset(e))), assets: entries.filter(isAsset).length };
    })()`)) as Load;
  } finally {
    await context.close();
  }
}

async function bareRoundTrip(browser: Browser, base: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/health`);
    return (await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")) as number;
  } finally {
    await context.close();
  }
}

export async function run(): Promise<string[]> {
  const out = [`MagUI first load · ${describeMachine()} · ${describeLoad()}`];
  const dir = mkdtempSync(join(tmpdir(), 'mobo-bench-ui-'));
  const { proc } = await start([resolve('dist/bundle/main.js'), 'boot'], { cwd: dir, env: { MOBO_HTTP_PORT: '0', MOBO_LOG_LEVEL: 'warn', MOBO_DATA_DIR: dir } }, /^READY/);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const base = `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { port: number }).port}`;
    const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    await firstLoad(browser, base, token); // warm-up: the node's first requests, Chromium's first context
    const shell: Load[] = [];
    const tree: Load[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await bareRoundTrip(browser, base));
      shell.push(await firstLoad(browser, base, undefined));
      tree.push(await firstLoad(browser, base, token));
    }
    const treeMs = median(tree.map((t) => t.ms));
    const bareMs = median(bare);
    const treeBytes = median(tree.map((t) => t.assetBytes));
    out.push(`  login shell (no token): ${kb(median(shell.map((s) => s.assetBytes)))} on the wire in ${median(shell.map((s) => s.assets))} files (goal ≤ 250 KB)`);
    out.push(`  logged in, first page: ${kb(treeBytes)} of page assets in ${median(tree.map((t) => t.assets))} files + ${kb(median(tree.map((t) => t.apiBytes)))} of API answers (goal ≤ 250 KB): ${treeBytes <= 250 * 1024 ? 'PASS' : 'MISS'}`);
    out.push(`  navigation → tree shown: median ${treeMs.toFixed(0)} ms (runs ${tree.map((t) => t.ms.toFixed(0)).join(', ')}) (goal < 1000 ms): ${treeMs < 1000 ? 'PASS' : 'MISS'}`);
    out.push(`  baseline navigation → /health loaded: median ${bareMs.toFixed(0)} ms · tree/baseline ${(treeMs / Math.max(bareMs, 0.1)).toFixed(1)}×`);
  } finally {
    await browser.close();
    await stop(proc);
  }
  out.push(`after: ${describeLoad()}`);
  return out;
}
