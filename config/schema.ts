import { z } from 'zod';

const token = /^[A-Za-z0-9_-]+$/;

const healthThresholds = z
  .object({
    degraded: z.number().int().min(1).default(1),
    critical: z.number().int().min(1).default(2),
    failed: z.number().int().min(1).default(3),
  })
  .strict()
  .refine((t) => t.degraded <= t.critical && t.critical <= t.failed, { message: 'thresholds must satisfy degraded <= critical <= failed' });

const bucket = (rps: number, burst: number) =>
  z.object({ rps: z.number().positive().default(rps), burst: z.number().int().positive().default(burst) }).strict().default({});

/** The whole configuration of a node. Every key has a default: an empty file is a valid embedded node. */
export const configSchema = z
  .object({
    node: z.object({ id: z.string().regex(token, 'letters, digits, _ and - only').default('node1') }).strict().default({}),
    dataDir: z.string().min(1).default('./.mobo'),
    transport: z
      .object({
        kind: z.enum(['local', 'nats']).default('local'),
        natsUrl: z.string().min(1).default('127.0.0.1:4222'),
      })
      .strict()
      .default({}),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8000),
        bodyLimitBytes: z.number().int().positive().default(1_048_576),
        /** Origins allowed by CORS; `*` allows any. */
        corsOrigins: z.array(z.string().min(1)).default(['*']),
        /** Responses at least this large are gzipped for clients that accept it. */
        gzipMinBytes: z.number().int().min(0).default(1_024),
      })
      .strict()
      .default({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .strict()
      .default({}),
    health: z
      .object({
        intervalMs: z.number().int().min(0).default(5_000),
        timeoutMs: z.number().int().positive().default(1_000),
        thresholds: healthThresholds.default({}),
      })
      .strict()
      .default({}),
    supervision: z
      .object({
        maxRestarts: z.number().int().min(0).default(10),
        periodMs: z.number().int().positive().default(10_000),
        backoffInitialMs: z.number().int().min(0).default(10),
        backoffMaxMs: z.number().int().min(0).default(5_000),
      })
      .strict()
      .default({}),
    rateLimits: z.object({ perKey: bucket(100, 200), perIp: bucket(50, 100) }).strict().default({}),
    control: z
      .object({
        /** Where projects, sources, users and keys live: SQLite in the data dir, or a shared Postgres for a cluster. */
        kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** A file path for sqlite (default <dataDir>/control.db), a postgres:// URL for postgres. */
        url: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    secrets: z
      .object({
        /** Base64 of 32 bytes; encrypts source credentials at rest. Default: <dataDir>/secret.key, made at first boot. */
        key: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    ds: z
      .object({
        poolMax: z.number().int().positive().default(10),
        queryTimeoutMs: z.number().int().positive().default(15_000),
      })
      .strict()
      .default({}),
    cache: z
      .object({
        maxEntries: z.number().int().positive().default(10_000),
        defaultTtlMs: z.number().int().positive().default(60_000),
      })
      .strict()
      .default({}),
  })
  .strict();

export type MoboConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Sections that take effect without a restart (log level, health interval, rate limits); the rest need one. */
export const RELOADABLE_SECTIONS = ['log', 'health', 'rateLimits'] as const satisfies readonly (keyof MoboConfig)[];

export function isReloadable(key: string): boolean {
  return RELOADABLE_SECTIONS.some((s) => key === s || key.startsWith(`${s}.`));
}
