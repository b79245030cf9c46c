import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fmtMs, megabytes, summarize, type Report } from './stats.js';

const BOOTS = 10;
const READY_TIMEOUT_MS = 15_000;
/** Let the booted node go quiet before reading its memory. */
const IDLE_MS = 500;
const MAIN = fileURLToPath(new URL('../bundle/main.js', import.meta.url));
/**
 * Optional: another build's bundle (say main's, built to dist/main-bundle), booted in turn
 * with this one in the same run, for a before/after ratio on the same load.
 */
const BASELINE = process.env.MOBO_BENCH_BOOT_BASELINE === undefined ? undefined : resolve(process.env.MOBO_BENCH_BOOT_BASELINE);

/** The environment of a clean embedded node: no inherited MOBO_* settings. */
function bootEnv(dataDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MOBO_')));
  return { ...env, MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dataDir };
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Resolves on the READY line; a failure carries the end of the node's stderr (its JSON log). */
function untilReady(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2_000)));
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new Error(`${why}\n${stderr}`));
    const timer = setTimeout(() => fail(`no READY line within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('READY')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(`mobo boot exited with ${code} before READY`);
    });
  });
}

/** One boot: spawn → READY wall time, then idle RSS; SIGTERM and wait for the exit. */
async function bootOnce(main = MAIN): Promise<{ ms: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mobo-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [main, 'boot'], { cwd: dir, env: bootEnv(join(dir, 'data')), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  try {
    await untilReady(child);
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { ms, rss: rssMb(child.pid!) };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function nodeFloor(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return performance.now() - t0;
}

/** `mobo boot` (embedded) spawn → READY and idle RSS, next to the bare Node start-up floor. */
export async function run(report: Report): Promise<void> {
  report.section('mobo boot to ready (embedded, child process)');
  await bootOnce(); // warm the file cache
  if (BASELINE) await bootOnce(BASELINE);
  const boots: { ms: number; rss: number }[] = [];
  const before: { ms: number; rss: number }[] = [];
  for (let i = 0; i < BOOTS; i++) {
    boots.push(await bootOnce());
    if (BASELINE) before.push(await bootOnce(BASELINE));
  }
  const floor: number[] = [];
  for (let i = 0; i < BOOTS; i++) floor.push(await nodeFloor());
  const ready = summarize(boots.map((b) => b.ms));
  const rss = summarize(boots.map((b) => b.rss));
  const base = summarize(floor);
  report.note(`${BOOTS} boots after one warm-up; RSS read from /proc/<pid>/status ${IDLE_MS} ms after READY`);
  report.line('spawn → READY', `p50 ${fmtMs(ready.p50)} · p90 ${fmtMs(ready.p90)} · max ${fmtMs(ready.max)}`);
  report.line('baseline: node -e "0" spawn → exit', `p50 ${fmtMs(base.p50)} · p90 ${fmtMs(base.p90)}`);
  report.ratio('p50 vs Node start-up floor', ready.p50, base.p50);
  report.line('idle RSS', `p50 ${megabytes(rss.p50)} · max ${megabytes(rss.max)}`);
  if (BASELINE) {
    const [bReady, bRss] = [summarize(before.map((b) => b.ms)), summarize(before.map((b) => b.rss))];
    report.line(`baseline build (${BASELINE}) spawn → READY`, `p50 ${fmtMs(bReady.p50)} · p90 ${fmtMs(bReady.p90)} · idle RSS p50 ${megabytes(bRss.p50)} · max ${megabytes(bRss.max)}`);
    report.ratio('READY p50, this build vs baseline build (boots interleaved)', ready.p50, bReady.p50);
    report.ratio('idle RSS p50, this build vs baseline build', rss.p50, bRss.p50);
  }
  report.goal('boot to READY p50', ready.p50, 300, fmtMs);
  report.goal('boot to READY p90', ready.p90, 300, fmtMs);
  report.goal('idle RSS (max)', rss.max, 80, megabytes);
}
