import type { HealthReportBody } from '../../actors/kernel/health-actor.js';
import { flagNumber } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { unhealthy } from '../../actors/kernel/tree-view.js';
import { client, componentTable } from './node.js';

export const healthCheckCommand: Command = {
  name: 'health:check',
  summary: 'Exit 0 if the node is healthy, 4 if not (for scripts and probes)',
  usage: 'mobo health:check [--node ID] [--json]',
  async run(args, out) {
    const report = await client(args).get<HealthReportBody>('/v1/admin/health');
    const why = unhealthy(report.components);
    out.result({ status: report.status, node: report.node, unhealthy: why }, () => [`${report.node}: ${report.status}`, ...why.map((c) => `  ${c.name}: ${c.why}`)].join('\n'));
    return report.status === 'healthy' ? EXIT.OK : EXIT.UNHEALTHY;
  },
};

export const healthReportCommand: Command = {
  name: 'health:report',
  summary: 'Health of every component',
  usage: 'mobo health:report [--node ID] [--json]',
  async run(args, out) {
    const report = await client(args).get<HealthReportBody>('/v1/admin/health');
    out.result(report, () => `${report.node}: ${report.status}\n${componentTable(report.components)}`);
    return report.status === 'healthy' ? EXIT.OK : EXIT.UNHEALTHY;
  },
};

export const healthWatchCommand: Command = {
  name: 'health:watch',
  summary: 'Print health as it changes (Ctrl-C to stop)',
  usage: 'mobo health:watch [--interval MS] [--count N] [--node ID] [--json]',
  details: 'Polls every --interval ms (default 1000) and prints a line whenever a component changes; --count stops after N reports.',
  async run(args, out) {
    const interval = flagNumber(args, 'interval', 1_000);
    const count = flagNumber(args, 'count', Infinity);
    const c = client(args);
    let last = '';
    for (let i = 0; i < count; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, interval));
      const report = await c.get<HealthReportBody>('/v1/admin/health');
      const summary = report.components.map((x) => `${x.name}=${x.state}/${x.health}/${x.restarts}`).join(' ');
      if (summary === last && !out.json) continue;
      last = summary;
      out.result(report, () => `${new Date().toISOString()} ${report.status}  ${summary}`);
    }
    return EXIT.OK;
  },
};
