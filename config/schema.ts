import { z } from 'zod';
import { credentialUrl, secret } from './secrets.js';
import { reloadableSections } from './section.js';

const token = /^[A-Za-z0-9_-]+$/;

/** Where `project:create` makes each project's default source (docs: actors/ds/README.md). */
const provisionSchema = z
  .object({
    /** An admin URL of a Postgres cluster: a database (or schema) and a login role per project. */
    postgres: z
      .object({ url: credentialUrl(z.string().min(1)), per: z.enum(['database', 'schema']).default('database'), database: z.string().min(1).optional() })
      .strict()
      .optional(),
    /** An admin URL of a MySQL/MariaDB server: a database and a user per project. */
    mysql: z.object({ url: credentialUrl(z.string().min(1)) }).strict().optional(),
  })
  .strict()
  .default({});

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

/** Attempts allowed at once, then one more every `refillMs`. */
const attempts = (burst: number, refillMs: number) =>
  z.object({ burst: z.number().int().positive().default(burst), refillMs: z.number().int().positive().default(refillMs) }).strict().default({});

/** A Pusher app: clients connect with its key, servers sign with its secret; it serves one project. */
const realtimeApp = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and - only'),
    key: z.string().min(1).max(128),
    secret: secret(z.string().min(8).max(256)),
    project: z.string().regex(token, 'letters, digits, _ and - only'),
  })
  .strict();

/** MagWS: the built-in Pusher-protocol server, or a connector to an external Soketi/Pusher. */
const realtimeSchema = z
  .object({
    /** `server`: serve the Pusher protocol on this node; `connector`: publish to `connector.url` instead. */
    mode: z.enum(['server', 'connector', 'off']).default('server'),
    /** Apps given explicitly (say, to keep a Soketi app's id/key/secret). Others are made per project in the control store. */
    apps: z.array(realtimeApp).default([]),
    activityTimeoutSeconds: z.number().int().min(5).max(600).default(120),
    maxConnections: z.number().int().positive().default(20_000),
    /** Connections one client address may hold on this node. */
    maxConnectionsPerIp: z.number().int().positive().default(1_000),
    /** Connections one app (project) may hold on this node, so one tenant cannot take them all. */
    maxConnectionsPerApp: z.number().int().positive().default(10_000),
    /** Client messages a connection may send per second (token bucket), and its burst. */
    messagesPerSecond: z.number().positive().default(10),
    messageBurst: z.number().int().positive().default(20),
    /** `client-*` events on private and presence channels. */
    clientEvents: z.boolean().default(false),
    maxEventBytes: z.number().int().positive().default(10_240),
    maxPresenceMembers: z.number().int().positive().default(100),
    /** HTTP API: how far auth_timestamp may be from this clock. */
    timestampSkewSeconds: z.number().int().positive().default(600),
    connector: z
      .object({
        /** Base URL of the external server's HTTP API, e.g. http://127.0.0.1:6001. */
        url: credentialUrl(z.string().url()).optional(),
        timeoutMs: z.number().int().positive().default(5_000),
        retries: z.number().int().min(0).max(10).default(3),
        backoffMs: z.number().int().min(0).default(100),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

/** The whole configuration of a node. Every key has a default: an empty file is a valid embedded node. */
export const configSchema = z
  .object({
    node: z.object({ id: z.string().regex(token, 'letters, digits, _ and - only').default('node1') }).strict().default({}),
    dataDir: z.string().min(1).default('./.mobo'),
    transport: z
      .object({
        kind: z.enum(['local', 'nats']).default('local'),
        /** One server or a comma-separated list of a NATS cluster's servers (runtime/nats-servers.ts). */
        natsUrl: credentialUrl(z.string().min(1)).default('127.0.0.1:4222'),
        /** Replicas of every JetStream stream and KV bucket the node creates: 3 on a three-server NATS cluster. */
        replicas: z.number().int().min(1).max(5).default(1),
        /** Nodes on one NATS server with the same name are one cluster; every subject, stream and bucket carries it (runtime/nats-names.ts). */
        cluster: z.string().regex(token, 'letters, digits, _ and - only').max(64).default('default'),
      })
      .strict()
      .default({}),
    /**
     * Cluster timings (transport `nats`): heartbeats every heartbeatMs, a silent node is suspect
     * after suspectMs and down after downMs (its presence goes, sharded children move); a
     * singleton's holder renews every leaseMs/3, stops leaseMs/5 before its lease could pass,
     * and a contender takes over leaseMs after the last renewal it saw. Why these defaults:
     * docs/cluster.md.
     */
    cluster: z
      .object({
        heartbeatMs: z.number().int().min(10).default(250),
        suspectMs: z.number().int().min(20).default(1_000),
        downMs: z.number().int().min(30).default(2_000),
        leaseMs: z.number().int().min(100).default(1_000),
        /** `cluster:drain`: how long the node keeps serving after its health says draining, so a load balancer takes it out first. */
        drainGraceMs: z.number().int().min(0).default(2_000),
        /** `cluster:drain`: the longest wait for in-flight requests before leaving anyway. */
        drainTimeoutMs: z.number().int().min(0).default(30_000),
      })
      .strict()
      .refine((c) => c.heartbeatMs < c.suspectMs && c.suspectMs < c.downMs, { message: 'cluster timings must satisfy heartbeatMs < suspectMs < downMs' })
      .default({}),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8000),
        /** The URL clients reach this API at (behind a proxy, say https://api.example.com), as OpenAPI's `servers`. Default http://<host>:<port>. */
        publicUrl: z.string().url().optional(),
        bodyLimitBytes: z.number().int().positive().default(1_048_576),
        /** Origins allowed by CORS; `*` allows any. */
        corsOrigins: z.array(z.string().min(1)).default(['*']),
        /** Responses at least this large are gzipped for clients that accept it. */
        gzipMinBytes: z.number().int().min(0).default(1_024),
        /** Merge concurrent reads of one loop turn: GETs by id into one `IN (…)` query, identical lists into one. */
        coalesceReads: z.boolean().default(true),
        /**
         * Answers of reads kept in memory, per data source, dropped by every write through this node
         * and by the change feed. Off by default: writes that bypass MagMoBoMini reach it only
         * through the feed (Postgres: every committed change; other backends: none), else after
         * ttlMs. Never on where the transport is NATS: another node's write could not drop this
         * node's entries before it is acknowledged.
         */
        readCache: z
          .object({
            enabled: z.boolean().default(false),
            ttlMs: z.number().int().positive().default(5_000),
            /** Rows held at most over all cached answers; one answer may take a tenth of it. */
            maxRows: z.number().int().positive().default(100_000),
          })
          .strict()
          .default({}),
        /** Idempotency-Key on POST/PATCH/DELETE (gateway/rest/idempotency.ts), records kept in the control store. */
        idempotency: z
          .object({
            /** How long a key's first answer is kept and replayed (default 24 h). */
            ttlMs: z.number().int().positive().default(86_400_000),
            /**
             * How long a key stays claimed by a request that has not recorded its outcome: retries
             * meanwhile get 409 IDEMPOTENCY_IN_PROGRESS; after it (the node that ran the request
             * died) a retry takes the key over and runs the write.
             */
            inFlightMs: z.number().int().positive().default(60_000),
          })
          .strict()
          .default({}),
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
        url: credentialUrl(z.string().min(1)).optional(),
      })
      .strict()
      .default({}),
    secrets: z
      .object({
        /** Base64 of 32 bytes; encrypts source credentials at rest. Default: <dataDir>/secret.key, made at first boot. */
        key: secret(z.string().min(1)).optional(),
      })
      .strict()
      .default({}),
    ds: z
      .object({
        poolMax: z.number().int().positive().default(10),
        queryTimeoutMs: z.number().int().positive().default(15_000),
        /** Postgres: connections this node may hold per server (host:port); default min(50, (max_connections − reserved) / 2). */
        budget: z.number().int().positive().optional(),
        /** Per server, `host:port` → its own budget. */
        servers: z.record(z.string().min(1), z.object({ budget: z.number().int().positive() }).strict()).default({}),
        /** How long a request waits for a connection under the budget before DS_BUSY. */
        budgetWaitMs: z.number().int().positive().default(2_000),
        /** An idle pooled connection closes after this long (a quiet source holds none). */
        idleTimeoutMs: z.number().int().positive().default(30_000),
        /**
         * Postgres change capture: `logical` (logical replication, no trigger; a cluster runs one
         * reader per source and relays over JetStream), `trigger` (triggers + NOTIFY), or `auto`:
         * logical where the server allows it (wal_level=logical, REPLICATION, a free slot), else triggers.
         */
        changes: z.enum(['auto', 'logical', 'trigger']).default('auto'),
        provision: provisionSchema,
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
    realtime: realtimeSchema,
    auth: z
      .object({
        /** The `iss` of the access tokens this cluster signs and accepts (every node needs the same). */
        issuer: z.string().min(1).max(256).default('magmobomini'),
        /** Tokens whose exp − iat is longer than this are refused (token.issue grants at most a day). */
        maxTokenLifetimeSeconds: z.number().int().positive().default(86_400),
        /** Password hashing threads (a worker pool off the event loop); 0 = one per core. */
        hashWorkers: z.number().int().min(0).max(64).default(0),
        /** How long an owner account's sign-in to the admin page lasts (12 h). */
        ownerSessionSeconds: z.number().int().min(60).max(30 * 86_400).default(43_200),
        limits: z
          .object({
            loginPerEmail: attempts(5, 12_000),
            loginPerIp: attempts(20, 3_000),
            signupPerIp: attempts(5, 60_000),
            signupPerEmail: attempts(3, 60_000),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    backup: z
      .object({
        /** Base64 of 32 bytes: encrypts backup archives (AES-256-GCM); never stored in them. */
        key: secret(z.string().min(1)).optional(),
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
  return [...RELOADABLE_SECTIONS, ...reloadableSections].some((s) => key === s || key.startsWith(`${s}.`));
}
