import type { ParsedArgs } from './args.js';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer help shown by `mobo <command> --help`. */
  details?: string;
  run(args: ParsedArgs, out: Output): Promise<ExitCode>;
}
