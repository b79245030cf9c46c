/**
 * The chaos run's report in `--out`: `history.json` (everything recorded, to re-check later),
 * `check.json` (the checker's result), `plot.svg` (throughput, errors, availability and the
 * nemesis' faults over time, drawn by hand from the data) and `report.md` (the summary).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from './checker.js';
import type { History, NemesisAction } from './history.js';

export interface RunInfo {
  seed: number;
  seconds: number;
  capture: string;
  machine: string;
  settings: Record<string, unknown>;
}

const COLORS: Record<NemesisAction, string> = { 'kill-node': '#d62728', 'pause-node': '#ff7f0e', 'kill-nats': '#9467bd', 'kill-actor': '#8c564b' };

export function writeReport(dir: string, info: RunInfo, history: History, result: CheckResult): { markdown: string } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.json'), JSON.stringify({ info, history }));
  writeFileSync(join(dir, 'check.json'), JSON.stringify(result, null, 2));
  writeFileSync(join(dir, 'plot.svg'), plot(history, result));
  const markdown = summary(info, history, result);
  writeFileSync(join(dir, 'report.md'), markdown);
  return { markdown };
}

export function summary(info: RunInfo, history: History, r: CheckResult): string {
  const kills = (a: NemesisAction) => history.nemesis.filter((e) => e.action === a);
  const stats = (xs: number[]): string => {
    if (xs.length === 0) return '—';
    const s = [...xs].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return `median ${fmt(q(0.5))} · p95 ${fmt(q(0.95))} · max ${fmt(s[s.length - 1]!)}`;
  };
  const faultRows = (Object.keys(COLORS) as NemesisAction[]).map((a) => {
    const fs = r.faults.filter((f) => f.action === a);
    return `| ${a} | ${fs.length} | ${stats(fs.map((f) => f.errorWindowMs))} | ${stats(fs.map((f) => f.slowestAckMs))} | ${stats(fs.flatMap((f) => (f.restartMs === undefined ? [] : [f.restartMs])))} |`;
  });
  const worst = r.availability.perSecond.reduce((m, s) => Math.min(m, s.availability), 1);
  return [
    `# Chaos run: ${r.valid ? 'PASS' : 'FAIL'}`,
    '',
    `${info.seconds} s, seed ${info.seed}, capture ${info.capture} (realtime promise: ${r.realtime.promise}); ${info.machine}.`,
    `Settings: ${Object.entries(info.settings)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}.`,
    '',
    ...(r.problems.length ? ['## Problems', '', ...r.problems.map((p) => `- ${p}`), ''] : []),
    '## Writes',
    '',
    `| attempted | acknowledged | refused | gave up (present) | lost | duplicates |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: |`,
    `| ${r.writes.attempted} | ${r.writes.acknowledged} | ${r.writes.failed} | ${r.writes.indeterminate} (${r.writes.indeterminatePresent}) | ${r.writes.lost.length} | ${r.writes.duplicates.length} |`,
    '',
    `Reads: ${r.reads.attempted} (${r.reads.ok} answered), ${r.reads.stale.length} stale.`,
    '',
    `## Availability (operations that succeeded with client retries)`,
    '',
    `${pct(r.availability.overall)} of ${r.availability.operations} operations; worst second ${pct(worst)}; ${r.availability.perSecond.filter((s) => s.availability < 1).length} of ${r.availability.perSecond.length} seconds below 100%.`,
    '',
    '## Faults',
    '',
    `${kills('kill-node').length} node kills (kill -9 + restart), ${kills('pause-node').length} pauses, ${kills('kill-nats').length} NATS server kills, ${kills('kill-actor').length} actor kills.`,
    '',
    '| fault | count | clients saw errors for (ms) | slowest ack in flight (ms) | restart → ready (ms) |',
    '| --- | ---: | --- | --- | --- |',
    ...faultRows,
    '',
    '## Realtime',
    '',
    '| subscriber | sessions | received | gaps | repeats | phantoms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...r.realtime.subscribers.map((s) => `| ${s.name} | ${s.sessions} | ${s.received} | ${s.gaps.length} | ${s.repeats.length} | ${s.phantoms.length} |`),
    '',
    ...r.realtime.subscribers.filter((s) => s.gaps.length).map((s) => `- ${s.name} missed (while subscribed): ${s.gaps.slice(0, 20).join(', ')}${s.gaps.length > 20 ? ` … ${s.gaps.length - 20} more` : ''}`),
    '',
    '![throughput, errors and faults](plot.svg)',
    '',
  ].join('\n');
}

/** Three panels over seconds: operations/s (acknowledged writes, reads) with failed tries/s; availability; the faults as bands. */
export function plot(history: History, r: CheckResult): string {
  const W = 1000;
  // The left margin holds the fault lanes' names.
  const left = 80;
  const right = 20;
  const seconds = Math.max(1, r.availability.perSecond.length);
  const x = (s: number): number => left + (s / seconds) * (W - left - right);
  const per = r.availability.perSecond;
  const top = { y: 30, h: 200 };
  const mid = { y: 260, h: 80 };
  const bot = { y: 370, h: 60 };
  const maxOps = Math.max(1, ...per.map((s) => Math.max(s.writesOk, s.readsOk, s.attemptErrors)));
  const yTop = (v: number): number => top.y + top.h - (v / maxOps) * top.h;
  // Availability sits near 100%: the panel spans [floor, 100%], the floor 90% or the worst second's lower.
  const floor = Math.min(0.9, ...per.map((s) => s.availability));
  const yMid = (a: number): number => mid.y + mid.h - ((a - floor) / (1 - floor)) * mid.h;
  const line = (values: number[], y: (v: number) => number): string => values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const bars = per
    .filter((s) => s.attemptErrors > 0)
    .map((s) => `<rect x="${x(s.second).toFixed(1)}" y="${yTop(s.attemptErrors).toFixed(1)}" width="${Math.max(1, x(1) - x(0) - 1).toFixed(1)}" height="${(top.y + top.h - yTop(s.attemptErrors)).toFixed(1)}" fill="#d62728" opacity="0.45"/>`);
  const lanes = Object.keys(COLORS) as NemesisAction[];
  const laneH = bot.h / lanes.length;
  const bands = history.nemesis.map((e) => {
    const lane = lanes.indexOf(e.action);
    const x0 = x(e.start / 1000);
    const w = Math.max(2, x(e.end / 1000) - x0);
    return `<rect x="${x0.toFixed(1)}" y="${(bot.y + lane * laneH).toFixed(1)}" width="${w.toFixed(1)}" height="${(laneH - 2).toFixed(1)}" fill="${COLORS[e.action]}"><title>${e.action} ${escape(e.target)} at ${fmt(e.start)} ms for ${fmt(e.end - e.start)} ms</title></rect>`;
  });
  const ticks: string[] = [];
  const step = seconds > 300 ? 60 : seconds > 60 ? 10 : 5;
  for (let s = 0; s <= seconds; s += step) ticks.push(`<line x1="${x(s)}" x2="${x(s)}" y1="${top.y}" y2="${bot.y + bot.h}" stroke="#eee"/><text x="${x(s)}" y="${bot.y + bot.h + 14}" text-anchor="middle">${s}s</text>`);
  const legend = lanes.map((a, i) => `<text x="${left - 6}" y="${bot.y + i * laneH + laneH - 4}" text-anchor="end" fill="${COLORS[a]}">${a}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="460" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${ticks.join('\n')}
<text x="${left}" y="${top.y - 10}" font-size="13">Operations per second: acknowledged writes (green), reads (blue), failed tries (red bars) — peak ${maxOps}/s</text>
${bars.join('\n')}
<path d="${line(
    per.map((s) => s.writesOk),
    yTop,
  )}" fill="none" stroke="#2ca02c" stroke-width="1.5"/>
<path d="${line(
    per.map((s) => s.readsOk),
    yTop,
  )}" fill="none" stroke="#1f77b4" stroke-width="1"/>
<text x="${left}" y="${mid.y - 6}" font-size="13">Availability per second (operations that succeeded with retries), ${(floor * 100).toFixed(0)}–100% — overall ${pct(r.availability.overall)}</text>
<line x1="${left}" x2="${W - right}" y1="${yMid(1)}" y2="${yMid(1)}" stroke="#ccc"/>
<path d="${line(
    per.map((s) => s.availability),
    yMid,
  )}" fill="none" stroke="#333" stroke-width="1.5"/>
<text x="${left}" y="${bot.y - 6}" font-size="13">Faults (${history.nemesis.length})</text>
${bands.join('\n')}
${legend.join('\n')}
</svg>
`;
}

const fmt = (ms: number): string => String(Math.round(ms));
const pct = (x: number): string => `${(x * 100).toFixed(3)}%`;
const escape = (s: string): string => s.replace(/[<&>"]/g, (c) => `&#${c.charCodeAt(0)};`);
