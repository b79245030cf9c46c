import type { FlagSpec, ParsedArgs } from './args.js';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/**
 * One `mobo` command. `flags` lists every flag it reads besides the common ones (`--config`,
 * `--node`, `--json`, `--help`), each as `'string'` (takes a value) or `'boolean'` (a switch):
 *
 *   flags: { role: 'string', name: 'string', force: 'boolean' },
 *
 * Anything else on the command line is a usage error (exit 2) naming the flag, so a typo
 * (`--rol developer`) never runs the command with a default. A command with no flags of
 * its own says `flags: {}`.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer help shown by `mobo <command> --help`. */
  details?: string;
  flags: FlagSpec;
  run(args: ParsedArgs, out: Output): Promise<ExitCode>;
}
