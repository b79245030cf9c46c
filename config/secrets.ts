import { z } from 'zod';
import { withoutCredentials } from '../runtime/index.js';

export { withoutCredentials };

/**
 * The one list of secret-bearing settings is the schema itself: a setting declared with
 * `secret(...)` holds a secret as a whole (keys, app secrets), one declared with
 * `credentialUrl(...)` is a URL whose user, password and credential parameters are secret
 * (database, NATS, Redis, connector URLs). `withoutSecrets` walks a config with its schema
 * (the node's and every component section's) and drops both; backups archive its result, and
 * whatever shows settings (error messages, status, logs) goes through it or `shownValue`.
 */
const WHOLE = new WeakSet<z.ZodTypeAny>();
const URLS = new WeakSet<z.ZodTypeAny>();

export function secret<S extends z.ZodTypeAny>(schema: S): S {
  WHOLE.add(schema);
  return schema;
}

export function credentialUrl<S extends z.ZodTypeAny>(schema: S): S {
  URLS.add(schema);
  return schema;
}

/** The config without any secret: whole secrets removed, URLs without their credentials. */
export function withoutSecrets<T>(config: T, schema: z.ZodTypeAny): T {
  return strip(config, schema) as T;
}

/**
 * A setting's value as it may be shown (error messages): `[redacted]` for a secret, a URL
 * without credentials, an object without the secrets inside it; undefined when the schema
 * has no such setting (an unknown key), for the caller to judge.
 */
export function shownValue(schema: z.ZodTypeAny, path: readonly (string | number)[], value: unknown): unknown {
  const target = at(schema, path);
  if (!target) return undefined;
  const shown = strip(value, target);
  return shown === REMOVED ? '[redacted]' : shown;
}

/** Every path the schema marks, `[]` standing for any array element: the list, for docs and tests. */
export function secretPaths(schema: z.ZodTypeAny, prefix = ''): Array<{ path: string; kind: 'secret' | 'url' }> {
  const layers = layersOf(schema);
  if (layers.some((s) => WHOLE.has(s))) return [{ path: prefix, kind: 'secret' }];
  if (layers.some((s) => URLS.has(s))) return [{ path: prefix, kind: 'url' }];
  const base = layers.at(-1)!;
  if (base instanceof z.ZodObject) {
    return Object.entries(base.shape as Record<string, z.ZodTypeAny>).flatMap(([key, child]) => secretPaths(child, prefix ? `${prefix}.${key}` : key));
  }
  if (base instanceof z.ZodArray) return secretPaths(base.element as z.ZodTypeAny, `${prefix}[]`);
  if (base instanceof z.ZodRecord) return secretPaths(base.valueSchema as z.ZodTypeAny, `${prefix}.*`);
  return [];
}

const REMOVED = Symbol('removed');

function strip(value: unknown, schema: z.ZodTypeAny): unknown {
  const layers = layersOf(schema);
  if (layers.some((s) => WHOLE.has(s))) return REMOVED;
  if (layers.some((s) => URLS.has(s))) return typeof value === 'string' ? withoutCredentials(value) : value;
  const base = layers.at(-1)!;
  if (base instanceof z.ZodObject && isPlainObject(value)) {
    const shape = base.shape as Record<string, z.ZodTypeAny>;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const kept = shape[key] ? strip(child, shape[key]) : structuredClone(child);
      if (kept !== REMOVED) out[key] = kept;
    }
    return out;
  }
  if (base instanceof z.ZodArray && Array.isArray(value)) return value.map((item) => strip(item, base.element as z.ZodTypeAny)).filter((item) => item !== REMOVED);
  if (base instanceof z.ZodRecord && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, base.valueSchema as z.ZodTypeAny)]).filter(([, v]) => v !== REMOVED));
  }
  return structuredClone(value);
}

/** The schema at a path of a config (array indexes step into the element). */
function at(schema: z.ZodTypeAny, path: readonly (string | number)[]): z.ZodTypeAny | undefined {
  let node: z.ZodTypeAny | undefined = schema;
  for (const part of path) {
    if (!node) return undefined;
    const base: z.ZodTypeAny = layersOf(node).at(-1)!;
    if (base instanceof z.ZodObject) node = (base.shape as Record<string, z.ZodTypeAny>)[String(part)];
    else if (base instanceof z.ZodArray) node = base.element as z.ZodTypeAny;
    else if (base instanceof z.ZodRecord) node = base.valueSchema as z.ZodTypeAny;
    else return undefined;
  }
  return node;
}

/** A schema and what it wraps (optional, nullable, default, refinements), outermost first. */
function layersOf(schema: z.ZodTypeAny): z.ZodTypeAny[] {
  const layers = [schema];
  for (;;) {
    const s = layers.at(-1)!;
    const inner =
      s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault
        ? (s._def.innerType as z.ZodTypeAny)
        : s instanceof z.ZodEffects
          ? (s._def.schema as z.ZodTypeAny)
          : undefined;
    if (!inner) return layers;
    layers.push(inner);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
