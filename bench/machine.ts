import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  node: string;
  os: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown CPU',
    cores: list.length,
    ramGb: totalmem() / 1024 ** 3,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** One line, for the top of a report and for RESULTS.md. */
export function describeMachine(m: Machine = machine()): string {
  return `${m.cpu} · ${m.cores} cores · ${m.ramGb.toFixed(1)} GB RAM · Node ${m.node} · ${m.os}`;
}

/** The 1-minute load when the run starts: other work on a small box skews every number. */
export function describeLoad(): string {
  const [one] = loadavg();
  const busy = (one ?? 0) > cpus().length / 2;
  return `load ${(one ?? 0).toFixed(2)} (1 min)${busy ? ' · WARNING: the box is busy, numbers will be noisy' : ''}`;
}
