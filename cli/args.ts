import { MoboError } from '../runtime/errors.js';

export interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  flags: Record<string, string | boolean>;
}

/** `mobo <group:verb> [args] [--flag] [--key value | --key=value]` */
export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') flags.help = true;
    else if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
      if (inline !== undefined) flags[key] = inline;
      else if (VALUE_FLAGS.has(key)) {
        const value = argv[++i];
        if (value === undefined) throw usage(`--${key} needs a value`);
        flags[key] = value;
      } else flags[key] = true;
    } else positional.push(arg);
  }
  return { command: positional.shift(), positional, flags };
}

const VALUE_FLAGS = new Set(['config', 'node', 'interval', 'count', 'reason', 'kind', 'url', 'namespace', 'pool-max', 'to-project', 'to-table', 'batch-size',
  // MagAuth (cli/commands/auth.ts)
  'role', 'sub', 'ttl', 'name', 'tables', 'ops', 'cidrs', 'service-account', 'allow', 'project', 'keep', 'older-than', 'cron', 'owner-column',
  // MagSentinel (cli/commands/sentinel.ts)
  'model', 'for', 'limit', 'type', 'since']);

export function usage(message: string): MoboError {
  return new MoboError('MESSAGE_INVALID', message, { details: { usage: true } });
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** The n-th positional argument, or a usage error naming it. */
export function required(args: ParsedArgs, index: number, what: string, command: string): string {
  const value = args.positional[index];
  if (value === undefined) throw usage(`${command} needs ${what}`);
  return value;
}

export function flagNumber(args: ParsedArgs, name: string, fallback: number): number {
  const v = flagString(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw usage(`--${name} must be a non-negative number, got "${v}"`);
  return n;
}
