import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { shownValue } from './secrets.js';
import { configSchema, type MoboConfig } from './schema.js';
import type { ConfigSection } from './section.js';
import { MoboError } from '../runtime/index.js';

/** The config file read when none is named: `mobo.config.json` in the working directory. */
export const DEFAULT_CONFIG_FILE = 'mobo.config.json';

/** Fixed env names other tools rely on; any other `MOBO_A__B_C` sets `a.bC`. */
const ENV_ALIASES: Record<string, string> = {
  MOBO_DATA_DIR: 'dataDir',
  MOBO_HTTP_PORT: 'http.port',
  MOBO_HTTP_HOST: 'http.host',
  MOBO_NODE_ID: 'node.id',
  MOBO_LOG_LEVEL: 'log.level',
  MOBO_LOG_FORMAT: 'log.format',
  MOBO_TRANSPORT: 'transport.kind',
  MOBO_NATS_URL: 'transport.natsUrl',
};
const NOT_SETTINGS = new Set(['MOBO_CONFIG']);
const SECRET = /secret|password|token|key$/i;

export interface LoadOptions {
  /** Path of the config file; default MOBO_CONFIG, else ./mobo.config.json if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * The components' own config sections (the board's `configSections`), merged into the
   * schema. `any`: other top-level keys pass unchecked, for tools that only need the
   * node's own settings (the CLI finding its node) and must not load every component.
   */
  sections?: readonly ConfigSection[] | 'any';
}

export interface LoadedConfig {
  config: Readonly<MoboConfig>;
  /** Where each overridden key came from (`file` or the env variable), for error messages. */
  sources: Record<string, string>;
  file: string | undefined;
}

/** Reads file + env once, validates, resolves dataDir, and freezes the result. */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const named = opts.file ?? env.MOBO_CONFIG;
  const file = named === undefined ? resolve(cwd, DEFAULT_CONFIG_FILE) : resolve(cwd, named);
  const sources: Record<string, string> = {};
  const raw = readConfigFile(file, named !== undefined);
  for (const key of flatKeys(raw)) sources[key] = file;

  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('MOBO_') || NOT_SETTINGS.has(name) || text === undefined) continue;
    const path = ENV_ALIASES[name] ?? envPath(name);
    setPath(raw, path, parseEnvValue(text));
    sources[path] = name;
  }
  if (env.MOBO_NATS_URL !== undefined && env.MOBO_TRANSPORT === undefined) setPath(raw, 'transport.kind', 'nats');

  const schema = schemaWith(opts.sections ?? []);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.');
    const source = sources[key] ?? sourceOfParent(sources, key);
    const value = getPath(raw, key);
    // Marked settings by their schema (secrets.ts); an unknown key by its name.
    const shown = shownValue(schema, issue.path, value) ?? (SECRET.test(key) ? '[redacted]' : value);
    throw new MoboError('CONFIG_INVALID', `Invalid setting ${key || '(root)'} = ${JSON.stringify(shown)}${source ? ` (from ${source})` : ''}: ${issue.message}`, {
      details: { key, value: shown, source, problem: issue.message },
    });
  }
  // Component sections are read through their own typed accessor (ConfigSection.of).
  const config = parsed.data as MoboConfig;
  config.dataDir = resolve(cwd, config.dataDir);
  return { config: deepFreeze(config), sources, file: named !== undefined || existsSync(file) ? file : undefined };
}

/** The node's schema with the components' sections; a section may not take a key the node or another section has. */
export function schemaWith(sections: readonly ConfigSection[] | 'any') {
  if (sections === 'any') return configSchema.passthrough();
  if (sections.length === 0) return configSchema;
  const extra: Record<string, ConfigSection['schema']> = {};
  for (const section of sections) {
    if (Object.hasOwn(configSchema.shape, section.key) || Object.hasOwn(extra, section.key)) {
      throw new MoboError('CONFIG_INVALID', `Config section "${section.key}" is declared twice (a component section may not reuse a key of the node's config or of another component)`, {
        details: { key: section.key },
      });
    }
    extra[section.key] = section.schema;
  }
  return configSchema.extend(extra);
}

function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new MoboError('CONFIG_INVALID', `Cannot read config file ${file}`, { details: { file }, cause: err });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new MoboError('CONFIG_INVALID', `Config file ${file} is not a JSON object`, { details: { file }, cause: err });
  }
}

/** MOBO_HEALTH__INTERVAL_MS → health.intervalMs */
function envPath(name: string): string {
  return name
    .slice('MOBO_'.length)
    .split('__')
    .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

/** Numbers, booleans and JSON read as such; anything else is a string. */
function parseEnvValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

export function getPath(source: unknown, path: string): unknown {
  let node = source;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export function flatKeys(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return prefix ? [prefix] : [];
  return Object.entries(value).flatMap(([k, v]) => flatKeys(v, prefix ? `${prefix}.${k}` : k));
}

function sourceOfParent(sources: Record<string, string>, key: string): string | undefined {
  const match = Object.keys(sources).find((k) => k.startsWith(key + '.') || key.startsWith(k + '.'));
  return match === undefined ? undefined : sources[match];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
