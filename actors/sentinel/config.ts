import { z } from 'zod';
import { configSection } from '../../config/index.js';

const score = z.number().min(0).max(1);
const ms = z.number().int().positive();

/** One kind of failure counted for brute-force detection: this many in `windowMs` blocks the source. */
const failureLimit = (failures: number, windowMs: number) => z.object({ failures: z.number().int().positive().default(failures), windowMs: ms.default(windowMs) }).strict().default({});

/**
 * The `sentinel` config section (MagSentinel). Everything here reloads without a restart
 * (SIGHUP or `POST /v1/admin/config/reload`); a changed `sqlguard.model` swaps the model in.
 */
const schema = z
  .object({
    /** Off: the edge hooks return at once and nothing is scored, counted or blocked. */
    enabled: z.boolean().default(false),
    /** `block`: act on what is detected; `monitor`: only log and raise events. */
    mode: z.enum(['block', 'monitor']).default('block'),
    /** IPs and CIDR ranges never blocked (operators, health checkers, the load balancer). */
    allow: z.array(z.string().min(1).max(64)).default([]),
    sqlguard: z
      .object({
        enabled: z.boolean().default(true),
        /** A model manifest (`sqlguard.json` beside its `.onnx`); default: the model committed in actors/sentinel/model. */
        model: z.string().min(1).optional(),
        /** Decision bands on the score: block ≥ block (default: the model's trained threshold) > alert ≥ … > log ≥ … > allow. */
        bands: z.object({ block: score.optional(), alert: score.default(0.7), log: score.default(0.4) }).strict().default({}),
        /** Request headers whose values are inspected too. */
        headers: z.array(z.string().min(1).max(64)).default(['user-agent', 'referer', 'x-forwarded-for']),
        /** Body fields never inspected (their values are secrets a user may choose freely). */
        skipFields: z.array(z.string().min(1).max(64)).default(['password', 'refresh_token', 'refreshToken']),
        /** Requests refused for injection from one IP in `windowMs` that block the IP (a prober). */
        probesPerIp: failureLimit(5, 600_000),
      })
      .strict()
      .default({}),
    bruteForce: z
      .object({
        perIp: failureLimit(30, 600_000),
        perEmail: failureLimit(10, 900_000),
        perKey: failureLimit(20, 600_000),
        /** Distinct accounts failing from one IP in `perIp.windowMs` that block the IP (credential stuffing). */
        accountsPerIp: z.number().int().positive().default(8),
        /** The first block lasts `blockMs`; each repeat within `strikeMemoryMs` lasts `backoff` times longer, up to `maxBlockMs`. */
        blockMs: ms.default(900_000),
        backoff: z.number().min(1).default(2),
        maxBlockMs: ms.default(86_400_000),
        strikeMemoryMs: ms.default(86_400_000),
      })
      .strict()
      .default({}),
    anomaly: z
      .object({
        enabled: z.boolean().default(true),
        /** Baselines are EWMAs over intervals of this length. */
        intervalMs: ms.default(10_000),
        /** EWMA weight of the newest interval. */
        alpha: z.number().gt(0).max(1).default(0.2),
        /** Intervals seen before a baseline is trusted. */
        warmupIntervals: z.number().int().min(1).default(6),
        /** Over `alertMultiple` × the baseline raises `security.alert`; over `blockMultiple` × blocks (in block mode). */
        alertMultiple: z.number().gt(1).default(5),
        blockMultiple: z.number().gt(1).default(20),
        /** Floors under each baseline so a quiet client is not blocked for its first busy minute. */
        floors: z
          .object({ requests: z.number().min(0).default(20), errors: z.number().min(0).default(5), rows: z.number().min(0).default(100), tables: z.number().min(0).default(3), notFound: z.number().min(0).default(5) })
          .strict()
          .default({}),
        blockMs: ms.default(900_000),
        /** Identities tracked at most (least recently seen dropped first). */
        maxTracked: z.number().int().positive().default(50_000),
      })
      .strict()
      .default({}),
    /** The audit log of security events: this node's memory when embedded, a JetStream stream (`MOBO_SECURITY_<cluster>`) in cluster mode; both bounded. */
    audit: z.object({ maxEvents: z.number().int().positive().default(10_000), maxAgeMs: z.number().int().positive().default(7 * 86_400_000) }).strict().default({}),
  })
  .strict()
  .default({});

export const sentinelConfig = configSection('sentinel', schema, { reloadable: true });
export type SentinelConfig = z.infer<typeof schema>;
