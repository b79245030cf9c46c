import { z } from 'zod';
import { configSection, credentialUrl } from '../../config/index.js';

const port = z.number().int().min(0).max(65_535);

/**
 * MagMQTT's config section (`mqtt.*`). Off by default: a node must not take a well-known
 * port (1883) by surprise; `MOBO_MQTT__ENABLED=true` or `"mqtt": {"enabled": true}` turns it on.
 */
const schema = z
  .object({
    enabled: z.boolean().default(false),
    host: z.string().min(1).default('127.0.0.1'),
    /** MQTT over TCP. */
    port: port.default(1883),
    /** MQTT over WebSocket (browsers), a listener of its own: `null` turns it off. */
    websocket: z.object({ port: port.nullable().default(8083), path: z.string().startsWith('/').default('/mqtt') }).strict().default({}),
    /** MQTT over TLS (and WSS on websocket.port) when a certificate is given: PEM file paths. */
    tls: z.object({ certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional(), port: port.default(8883) }).strict().default({}),
    /** Largest PUBLISH payload accepted; a bigger one closes the connection (3.1.1 has no way to refuse it). */
    maxMessageBytes: z.number().int().positive().max(268_435_455).default(262_144),
    /** Inbound QoS 2 messages a client may have awaiting PUBREL. */
    maxInflight: z.number().int().positive().default(100),
    /** Messages queued for a client before it is ready (aedes queueLimit). */
    queueLimit: z.number().int().positive().default(1_000),
    /** PUBLISH packets per client per second (token bucket) and the burst; over it the connection is closed. */
    publishRate: z.object({ rps: z.number().positive().default(200), burst: z.number().int().positive().default(400) }).strict().default({}),
    maxConnectionsPerProject: z.number().int().positive().default(10_000),
    maxConnectionsPerIp: z.number().int().positive().default(1_000),
    /** How often each project's `$SYS/<project>/broker/<node>/clients/connected` is published; 0 turns it off. */
    sysIntervalSeconds: z.number().int().min(0).default(10),
    /** Longest keepalive a client may ask for (seconds); 0 means any. */
    keepaliveMaxSeconds: z.number().int().min(0).max(65_535).default(0),
    /**
     * Where retained messages, sessions and in-flight QoS 1/2 state live: `memory` (one node),
     * or `redis` (shared by the nodes of a cluster, so a session resumes on any node).
     */
    persistence: z
      .object({
        kind: z.enum(['memory', 'redis']).default('memory'),
        url: credentialUrl(z.string().min(1)).default('redis://127.0.0.1:6379'),
        /** Prefix of every key, so clusters can share one Redis. */
        prefix: z.string().min(1).max(100).default('mobo:mqtt:'),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

export const mqttConfig = configSection('mqtt', schema);
export type MqttConfig = z.infer<typeof schema>;
