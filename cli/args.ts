import { parseArgs as parseArgv } from 'node:util';
import { MoboError } from '../runtime/index.js';

/** A flag a command accepts: `string` takes a value (`--role R` or `--role=R`), `boolean` takes none (`--force`). */
/** `strings`: a value flag that may repeat (`--column a --column b`). */
export type FlagKind = 'string' | 'strings' | 'boolean';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** The flags every command takes, on top of its own. */
export const COMMON_FLAGS: FlagSpec = { config: 'string', node: 'string', json: 'boolean', help: 'boolean' };

export interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  flags: Record<string, string | boolean | string[]>;
}

/** The command word: the first argument that is not a flag or a common flag's value. */
export function commandName(argv: string[]): string | undefined {
  return parseArgv({ args: argv, options: toOptions(COMMON_FLAGS), strict: false, allowPositionals: true }).positionals[0];
}

/**
 * `mobo <group:verb> [args] [--flag] [--key value | --key=value] [-- args starting with -]`,
 * parsed by node's util.parseArgs in strict mode against the common flags and the command's
 * own: an unknown flag, a value flag without its value and a value given to a switch are
 * usage errors (exit 2) that name the flag and list what the command takes.
 */
export function parseArgs(argv: string[], flags: FlagSpec = {}): ParsedArgs {
  const accepted = { ...COMMON_FLAGS, ...flags };
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgv({ args: argv, options: toOptions(accepted), strict: true, allowPositionals: true }) as typeof parsed;
  } catch (err) {
    throw flagError(err, commandName(argv), accepted);
  }
  const values = Object.fromEntries(Object.entries(parsed.values).filter((e): e is [string, string | boolean | string[]] => e[1] !== undefined));
  const [command, ...positional] = parsed.positionals;
  return { command, positional, flags: values };
}

function toOptions(spec: FlagSpec): Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> {
  return Object.fromEntries(
    Object.entries(spec).map(([name, type]) => [name, type === 'strings' ? { type: 'string', multiple: true } : name === 'help' ? { type, short: 'h' } : { type }]),
  );
}

function flagError(err: unknown, command: string | undefined, accepted: FlagSpec): MoboError {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const flag = /'(-{1,2}[^' <]+)/.exec(message)?.[1] ?? 'a flag';
  const where = command ? ` for ${command}` : '';
  const takes = `it takes ${Object.entries(accepted).map(([name, kind]) => (kind !== 'boolean' ? `--${name} VALUE` : `--${name}`)).join(', ')}`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return usage(`Unknown flag ${flag}${where} (${takes})`, flag);
  if (/does not take an argument/.test(message)) return usage(`${flag} takes no value${where}`, flag);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return usage(`${flag} needs a value${where} (${flag} VALUE or ${flag}=VALUE; a value starting with - goes as ${flag}=VALUE)`, flag);
  }
  return usage(message, flag);
}

export function usage(message: string, flag?: string): MoboError {
  return new MoboError('MESSAGE_INVALID', message, { details: flag === undefined ? { usage: true } : { usage: true, flag } });
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable flag, in order. */
export function flagStrings(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
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
