import type { z } from 'zod';

/**
 * A component's own section of the node's config, declared in the component's folder
 * and merged into the schema at boot (`loadConfig({ sections })`): its keys are
 * validated, defaulted, refused when unknown and reported with key, value and source
 * exactly as the node's own.
 */
export interface ConfigSection<S extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly key: string;
  readonly schema: S;
  /** Takes effect on `config.reload` (SIGHUP) without a restart; the component reads it through `of` each time. */
  readonly reloadable: boolean;
  /** The section's settings in a loaded config (its defaults when the config was loaded without the section). */
  of(config: object): z.infer<S>;
}

/** Keys of the component sections declared reloadable (config/diff.ts reads it). */
export const reloadableSections = new Set<string>();

export function configSection<S extends z.ZodTypeAny>(key: string, schema: S, opts: { reloadable?: boolean } = {}): ConfigSection<S> {
  let defaults: z.infer<S> | undefined;
  const reloadable = opts.reloadable ?? false;
  if (reloadable) reloadableSections.add(key);
  return {
    key,
    schema,
    reloadable,
    of(config) {
      const value = (config as Record<string, unknown>)[key];
      if (value !== undefined) return value as z.infer<S>;
      return (defaults ??= Object.freeze(schema.parse(undefined)) as z.infer<S>);
    },
  };
}
