import { createRequire } from 'node:module';
import { pino, type Logger as Pino } from 'pino';
import { redactSecrets } from './redact.js';

/**
 * Structured logging on pino (the one file that imports it): one JSON object per line
 * (ts, level, component, traceId, msg, fields), or pino-pretty's readable line in a
 * terminal. Keys that look secret are redacted, passwords inside strings (a connection
 * string in an error message) masked, and errors reduced to their name and message, before
 * pino sees them. Level and format change at run time for a logger and
 * every child of it (config hot reload of `log.*`).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|private|credential|cookie/i;
const REDACTED = '[redacted]';

export interface LogSink {
  write(line: string): void;
}

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
  sink: LogSink;
}

export type LogFields = Record<string, unknown>;

/** What a logger and all its children share: the settings, and the pino instance writing to the sink. */
interface Root {
  settings: LogSettings;
  pino: Pino;
}

export class Logger {
  private readonly root: Root;
  private readonly pino: Pino;

  constructor(settings: LogSettings, fields: LogFields = {}) {
    this.root = { settings, pino: pino({ level: 'debug', base: undefined, timestamp: isoTime, formatters: { level: (label) => ({ level: label }) } }, destination(settings)) };
    this.pino = Object.keys(fields).length > 0 ? this.root.pino.child(redact(fields)) : this.root.pino;
  }

  static stderr(level: LogLevel = 'info', format: LogFormat = process.stderr.isTTY ? 'pretty' : 'json'): Logger {
    return new Logger({ level, format, sink: { write: (line) => process.stderr.write(line) } });
  }

  static silent(): Logger {
    return new Logger({ level: 'silent', format: 'json', sink: { write: () => undefined } });
  }

  /** A logger that adds fields (component, traceId …) to every line; settings stay shared. */
  child(fields: LogFields): Logger {
    const child = Object.create(Logger.prototype) as Logger;
    Object.assign(child, { root: this.root, pino: this.pino.child(redact(fields)) });
    return child;
  }

  /** Changes level or format for this logger and every child of it (hot reload). */
  configure(next: Partial<Pick<LogSettings, 'level' | 'format'>>): void {
    if (next.level) this.root.settings.level = next.level;
    if (next.format) this.root.settings.format = next.format;
  }

  get level(): LogLevel {
    return this.root.settings.level;
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.root.settings.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  private log(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    if (fields) this.pino[level](redact(fields), redactSecrets(msg));
    else this.pino[level](redactSecrets(msg));
  }
}

const isoTime = (): string => `,"ts":"${new Date().toISOString()}"`;

/** pino writes each JSON line here; the format is read per line, so a reload switches it at once. */
function destination(settings: LogSettings): { write(line: string): void } {
  return { write: (line) => settings.sink.write(settings.format === 'pretty' ? pretty()(line) : line) };
}

/** pino-pretty, loaded the first time a line is shown in a terminal (JSON-only nodes never load it). */
let prettify: ((line: string) => string) | undefined;
function pretty(): (line: string) => string {
  if (!prettify) {
    const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    prettify = prettyFactory({ colorize: Boolean(process.stderr.isTTY), timestampKey: 'ts', translateTime: 'HH:MM:ss.l', messageFormat: '[{component}] {msg}', ignore: 'component', singleLine: true });
  }
  return prettify;
}

/** Secret-looking keys dropped; passwords inside strings (a connection string in an error message) masked. */
export function redact(value: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) out[key] = REDACTED;
    else if (typeof v === 'string') out[key] = redactSecrets(v);
    else if (v instanceof Error) out[key] = redactSecrets(`${v.name}: ${v.message}`);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) out[key] = redact(v as LogFields);
    else out[key] = v;
  }
  return out;
}
