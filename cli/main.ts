import { commandName, parseArgs, type ParsedArgs } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { createOutput } from './output.js';
import { MoboError } from '../runtime/index.js';

const GENERAL_HELP = `mobo: the MagMoBoMini command line

Usage: mobo <command> [args] [--json] [--help]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`).join('\n')}

Common flags:
  --config FILE   config file (default: $MOBO_CONFIG, else ./mobo.config.json if present)
  --node ID       act on another node of the cluster, through this one
  --json          machine-readable output on stdout
  --help          help for a command

Exit codes: 0 ok · 1 failed · 2 usage · 3 node unreachable · 4 unhealthy · 5 not found · 6 bad config · 70 fatal`;

function commandHelp(c: Command): string {
  return `${c.summary}\n\nUsage: ${c.usage}${c.details ? `\n\n${c.details}` : ''}`;
}

function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof MoboError)) return EXIT.FAILED;
  if (err.details?.usage === true) return EXIT.USAGE;
  if (err.code.endsWith('_NOT_FOUND')) return EXIT.NOT_FOUND;
  if (err.code === 'NODE_UNREACHABLE') return EXIT.UNREACHABLE;
  if (err.code === 'CONFIG_INVALID') return EXIT.CONFIG;
  return EXIT.FAILED;
}

async function main(argv: string[]): Promise<ExitCode> {
  const out = createOutput(argv.includes('--json'));
  const name = commandName(argv);
  const command = COMMANDS.find((c) => c.name === name);
  if (name !== undefined && name !== 'help' && !command) {
    out.error(new MoboError('MESSAGE_INVALID', `Unknown command "${name}" (mobo --help lists them)`, { details: { usage: true } }));
    return EXIT.USAGE;
  }
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, command?.flags);
  } catch (err) {
    out.error(err);
    return EXIT.USAGE;
  }
  if (!command) {
    process.stdout.write(GENERAL_HELP + '\n');
    return args.command || args.flags.help ? EXIT.OK : EXIT.USAGE;
  }
  if (args.flags.help) {
    process.stdout.write(commandHelp(command) + '\n');
    return EXIT.OK;
  }
  try {
    return await command.run(args, out);
  } catch (err) {
    out.error(err);
    return exitCodeFor(err);
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
