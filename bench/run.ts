import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeLoad, describeMachine } from './machine.js';
import { Report } from './stats.js';

/** A bench module: `run` prints through the report (kernel) or however it likes (others). */
interface BenchModule {
  run?: (report?: Report) => unknown;
}

interface Entry {
  group: string;
  name: string;
  /** Kernel benches take the shared report; other modules are called as `run()`. */
  shared: boolean;
}

const BENCHES: Entry[] = [
  { group: 'kernel', name: 'kernel-local', shared: true },
  { group: 'kernel', name: 'kernel-nats', shared: true },
  { group: 'kernel', name: 'kernel-restart', shared: true },
  { group: 'kernel', name: 'kernel-boot', shared: true },
  { group: 'adapters', name: 'adapters', shared: false },
  { group: 'gateway', name: 'edge-pipeline', shared: true },
  { group: 'gateway', name: 'gateway', shared: true },
  { group: 'gateway', name: 'idempotency', shared: true },
  { group: 'gateway', name: 'postgrest-embed', shared: false },
  { group: 'ws', name: 'ws', shared: false },
  { group: 'backup', name: 'backup', shared: false },
  { group: 'auth', name: 'auth', shared: true },
  { group: 'sentinel', name: 'sentinel', shared: false },
  { group: 'schema', name: 'migrations', shared: false },
  { group: 'ui', name: 'ui', shared: false },
  { group: 'mqtt', name: 'mqtt', shared: false },
  { group: 'tenants', name: 'tenants', shared: false },
  { group: 'cluster', name: 'cluster-failover', shared: false },
  { group: 'cluster', name: 'cdc', shared: false },
  { group: 'cluster', name: 'cdc-fanout', shared: false },
];

const USAGE = `Usage: node dist/bench/run.js [--only GROUP|NAME[,…]]   groups: ${[...new Set(BENCHES.map((b) => b.group))].join(', ')}; names: ${BENCHES.map((b) => b.name).join(', ')}`;

function parseOnly(argv: string[]): string[] | undefined {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return undefined;
  const value = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  if (!value) throw new Error(USAGE);
  return value.split(',');
}

async function runOne(entry: Entry, report: Report): Promise<void> {
  const file = fileURLToPath(new URL(`./${entry.name}.js`, import.meta.url));
  if (!existsSync(file)) return console.log(`\n(${entry.name}: not present, skipped)`);
  const mod = (await import(file)) as BenchModule;
  if (typeof mod.run !== 'function') return console.log(`\n(${entry.name}: no exported run(), skipped)`);
  const t0 = performance.now();
  try {
    const out = await (entry.shared ? mod.run(report) : mod.run());
    if (typeof out === 'string') console.log(out);
    else if (Array.isArray(out)) for (const line of out) console.log(String(line));
  } catch (err) {
    console.log(`  ERROR in ${entry.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  }
  console.log(`  (${entry.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help')) return console.log(USAGE);
  const only = parseOnly(argv);
  const selected = BENCHES.filter((b) => !only || only.includes(b.group) || only.includes(b.name));
  if (selected.length === 0) throw new Error(`Nothing matches --only ${only?.join(',')}\n${USAGE}`);
  console.log(`# MagMoBoMini benchmarks · ${new Date().toISOString()}`);
  console.log(`machine: ${describeMachine()}`);
  console.log(describeLoad());
  const report = new Report();
  for (const entry of selected) await runOne(entry, report);
  report.printGoals();
}

main(process.argv.slice(2)).then(
  // Exit explicitly: a bench module that leaks a handle must not hang the run.
  () => process.exit(),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
