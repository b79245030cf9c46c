/**
 * Structured logging: one JSON object per line (component, traceId, fields), or a
 * readable line in a terminal. Keys that look secret are redacted before writing.
 */
import { redactSecrets } from './redact.js';

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

export class Logger {
  constructor(
    private readonly settings: LogSettings,
    private readonly fields: LogFields = {},
  ) {}

  static stderr(level: LogLevel = 'info', format: LogFormat = process.stderr.isTTY ? 'pretty' : 'json'): Logger {
    return new Logger({ level, format, sink: { write: (line) => process.stderr.write(line) } });
  }

  static silent(): Logger {
    return new Logger({ level: 'silent', format: 'json', sink: { write: () => undefined } });
  }

  /** A logger that adds fields (component, traceId …) to every line; settings stay shared. */
  child(fields: LogFields): Logger {
    return new Logger(this.settings, { ...this.fields, ...fields });
  }

  /** Changes level or format for this logger and every child of it (hot reload). */
  configure(next: Partial<Pick<LogSettings, 'level' | 'format'>>): void {
    if (next.level) this.settings.level = next.level;
    if (next.format) this.settings.format = next.format;
  }

  get level(): LogLevel {
    return this.settings.level;
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.settings.level];
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

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const record = redact({ ts: new Date().toISOString(), level, ...this.fields, msg, ...fields });
    this.settings.sink.write(this.settings.format === 'json' ? JSON.stringify(record) + '\n' : pretty(record));
  }
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

function pretty(record: LogFields): string {
  const { ts, level, component, msg, ...rest } = record;
  const time = String(ts).slice(11, 23);
  const extra = Object.keys(rest).length > 0 ? ' ' + JSON.stringify(rest) : '';
  return `${time} ${String(level).toUpperCase().padEnd(5)} [${String(component ?? 'mobo')}] ${String(msg)}${extra}\n`;
}
